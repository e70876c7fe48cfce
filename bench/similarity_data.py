"""A labelled set of complaint descriptions for ``bench/similarity.py``: complaints with the
same label describe the same problem in other words (duplicates); complaints with different
labels do not, also where they share most of their words (look-alikes)."""

LABELLED: list[tuple[str, str]] = [
    # seal leak on the pump
    ("seal-leak", "Seal leaks after two hours of operation."),
    ("seal-leak", "The seal leaks after 2 hours of running."),
    ("seal-leak", "Pump seal leaking after a couple of hours in operation."),
    ("seal-leak", "Leak at the shaft seal after two hours."),
    # look-alikes of the seal leak: same words, another problem
    ("seal-missing", "Seal missing from the box on delivery."),
    ("flange-crack", "The seal is fine but the flange cracked after two hours."),
    ("hose-leak", "Hose leaks at the clamp after two hours of operation."),
    # motor does not start
    ("motor-dead", "Motor does not start, it only hums."),
    ("motor-dead", "The motor hums but will not start."),
    ("motor-dead", "Motor humming, no rotation when switched on."),
    ("motor-hot", "Motor gets very hot after ten minutes and switches off."),
    ("motor-hot", "Motor overheats after about ten minutes and trips."),
    ("motor-noise", "Motor starts but makes a loud grinding noise."),
    # display
    ("display-blank", "Display stays blank after power on."),
    ("display-blank", "Screen shows nothing when the unit is switched on."),
    ("display-blank", "The display is blank at start-up."),
    ("display-wrong", "Display shows the wrong pressure reading."),
    ("display-wrong", "Pressure shown on the display is wrong by about 2 bar."),
    ("display-flicker", "Display flickers when the pump runs."),
    # paint and corrosion
    ("paint-peel", "Paint peels off the housing."),
    ("paint-peel", "Paint is peeling from the pump housing after a week."),
    ("paint-peel", "Housing paint flakes off."),
    ("rust", "Rust on the housing after one month outdoors."),
    ("rust", "Housing corroded, rust spots after a month outside."),
    # delivery and paperwork
    ("wrong-qty", "Delivered 10 units instead of 12."),
    ("wrong-qty", "Two units short in the delivery: 10 received, 12 ordered."),
    ("wrong-item", "Wrong pump delivered: P-100 instead of P-200."),
    ("wrong-item", "We received model P-100 but ordered P-200."),
    ("invoice", "Invoice address is wrong."),
    ("invoice", "The invoice shows the wrong billing address."),
    ("delivery-note", "Delivery note missing from the shipment."),
    ("late", "Delivery arrived three weeks late."),
    ("late", "Shipment came 3 weeks after the promised date."),
    # transport damage
    ("transport", "Housing cracked during transport."),
    ("transport", "Pump housing arrived cracked, box damaged in transit."),
    ("transport", "Cracked housing on arrival, carton crushed."),
    ("impeller-crack", "Impeller cracked after a week of use."),
    # noise and vibration
    ("bearing", "Loud bearing noise at low speed."),
    ("bearing", "Bearing squeals at low speed."),
    ("bearing", "Noisy bearing when running slowly."),
    ("vibration", "Strong vibration at full speed."),
    ("vibration", "The unit vibrates heavily at maximum speed."),
    # electrical
    ("cable", "Cable insulation melted near the plug."),
    ("cable", "Power cable insulation melted at the plug."),
    ("fuse", "Fuse blows when the pump starts."),
    ("fuse", "The fuse trips every time the pump is switched on."),
    ("plug", "Plug does not fit the socket: wrong plug type."),
    # labels and manuals
    ("label", "Label printed upside down."),
    ("label", "The type label is upside down on the housing."),
    ("manual", "Manual missing, only the German one is in the box."),
    ("manual", "No English manual in the box."),
    # flow and pressure
    ("low-flow", "Flow rate far below the specification."),
    ("low-flow", "Pump delivers much less flow than specified."),
    ("low-pressure", "Pressure drops after one hour of running."),
    ("low-pressure", "After an hour the pressure falls off."),
    ("no-flow", "No flow at all although the motor turns."),
    # screws and parts
    ("screws", "Screws missing in the mounting kit."),
    ("screws", "Mounting kit came without screws."),
    ("valve-stuck", "Check valve sticks closed."),
    ("valve-stuck", "The check valve is stuck shut."),
    ("valve-leak", "Check valve leaks back when the pump stops."),
]
