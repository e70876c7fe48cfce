"""`python -m bench.language_detection`: how well and how fast the language detectors tell
the shipped languages apart on short complaint texts (the figures in docs/architecture.md,
"Languages"). Each text is a mail's subject and first lines, as customers write them."""

import time
from collections.abc import Callable

SAMPLES = {
    "en": [
        "Pump P-200 leaks",
        "The seal of our pump leaks after two hours of operation.",
        "Wrong part delivered, we ordered the 20 mm valve.",
        "Your technician was very helpful, thank you.",
        "Invoice 7781 charges us twice for the same order.",
    ],
    "de": [
        "Pumpe P-200 undicht",
        "Die Dichtung unserer Pumpe ist nach zwei Stunden Betrieb undicht.",
        "Falsches Teil geliefert, wir hatten das 20-mm-Ventil bestellt.",
        "Ihr Techniker war sehr hilfsbereit, vielen Dank.",
        "Die Rechnung 7781 berechnet uns dieselbe Bestellung zweimal.",
    ],
    "fr": [
        "Fuite pompe P-200",
        "Le joint de notre pompe fuit après deux heures de fonctionnement.",
        "Mauvaise pièce livrée, nous avions commandé la vanne de 20 mm.",
        "Votre technicien a été très serviable, merci.",
        "La facture 7781 nous compte deux fois la même commande.",
    ],
    "es": [
        "Fuga en la bomba P-200",
        "La junta de nuestra bomba pierde agua tras dos horas de uso.",
        "Nos enviaron una pieza equivocada, pedimos la válvula de 20 mm.",
        "Su técnico fue muy amable, muchas gracias.",
        "La factura 7781 nos cobra dos veces el mismo pedido.",
    ],
    "zh-Hans": [
        "P-200 泵漏水",
        "我们的泵运行两个小时后密封圈就漏水了。",
        "发错了零件，我们订的是 20 毫米的阀门。",  # noqa: RUF001
        "你们的技术员非常热心，谢谢。",  # noqa: RUF001
        "7781 号发票把同一个订单收了两次钱。",
    ],
}


def _langdetect() -> Callable[[str], str | None]:
    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0
    names = {"zh-cn": "zh-Hans"}
    return lambda text: names.get(detect(text), detect(text))


def _lingua() -> Callable[[str], str | None]:
    from workflow.language_detection import detect_language

    return detect_language


def measure(name: str, make: Callable[[], Callable[[str], str | None]]) -> None:
    started = time.perf_counter()
    detect = make()
    detect("warm up")
    loaded = time.perf_counter() - started
    right, total, started = 0, 0, time.perf_counter()
    for language, texts in SAMPLES.items():
        for text in texts:
            found = detect(text)
            right += found == language
            total += 1
            if found != language:
                print(f"  {name}: {text!r} read as {found}, is {language}")
    per_text_ms = (time.perf_counter() - started) / total * 1000
    print(f"{name}: {right}/{total} right, {per_text_ms:.2f} ms a text, {loaded:.2f} s to load")


if __name__ == "__main__":
    measure("langdetect", _langdetect)
    measure("lingua (5 languages)", _lingua)
