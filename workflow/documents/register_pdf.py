"""The register as PDF: fpdf2 drawing a plain grid, A4 landscape, the headings on every page.

Why not WeasyPrint, as for the dossier, or fpdf2's own ``table()``: both lay out every
character of every cell as a fragment, and a 1,000-complaint register took 45 s with
WeasyPrint and about as long with ``table()`` on the shared 2-core machine, against a 5 s
target (``python -m bench.documents``; figures in docs/architecture.md). Here each cell is
wrapped at spaces (or between characters, for Chinese) with the font's advance widths, and
each line is one text operator.

Fonts: Noto Sans; a cell with a character Noto Sans lacks is written in Noto Sans CJK (which
has Latin too), loaded only when the register needs it (parsing it costs about 2 s). Both are
embedded (subset). Debian's fonts-noto-core and fonts-noto-cjk, installed by ``make pdf``.
fpdf2 embeds Noto CJK (CFF outlines) with its own encoding CMap: viewers and poppler's
pdftotext read it; pypdf 7 does not (it reads each CJK character as a NUL and a byte).
"""

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from workflow.documents.register import Register
from workflow.documents.register_writers import COLUMNS, HEADINGS, cells_of, totals_cells

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
REGULAR, BOLD, CJK = "NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSansCJK-Regular.ttc"
CJK_SIMPLIFIED_CHINESE_FACE = 2  # in Noto Sans CJK's collection: JP, KR, SC, TC, HK
MARGIN = 10.0
FONT_PT = 6.5
LINE = 2.9  # mm per line of text
PAD = 0.7
BASELINE = 2.2  # from a line's top to its baseline, mm
FOOTER_AT = 200.0  # mm from the top of an A4 landscape page: where rows stop
HEADING_FILL = (238, 241, 244)
RULE = (200, 200, 200)


@lru_cache(maxsize=1)
def font_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in FONT_DIRS:
        for name in (REGULAR, BOLD, CJK):
            if name not in found:
                found.update((name, path) for path in directory.rglob(name))
    missing = [name for name in (REGULAR, BOLD, CJK) if name not in found]
    if missing:
        raise RuntimeError(f"fonts missing for PDF documents: {', '.join(missing)} (`make pdf`)")
    return found


class _Grid:
    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        self.cjk_loaded = False
        self.covered = set(pdf.fonts["noto"].cmap)
        self.y = MARGIN
        self.font = ("", "")

    def covers(self, text: str) -> bool:
        return all(ord(c) in self.covered for c in text)

    def load_cjk(self) -> None:
        path = str(font_files()[CJK])
        self.pdf.add_font("NotoCJK", "", path, collection_font_number=CJK_SIMPLIFIED_CHINESE_FACE)
        self.cjk_loaded = True

    def family_for(self, text: str) -> str:
        return "Noto" if not self.cjk_loaded or self.covers(text) else "NotoCJK"

    def width(self, text: str, family: str, bold: bool) -> float:
        key = family.lower() + ("B" if bold and family == "Noto" else "")
        advances = self.pdf.fonts[key].cw
        return sum(advances[ord(c)] for c in text) * FONT_PT * 0.001 / self.pdf.k

    def wrap(self, text: str, room: float, family: str, bold: bool) -> list[str]:
        if self.width(text, family, bold) <= room and "\n" not in text:
            return [text]  # most cells: one measurement
        space = self.width(" ", family, bold)
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line, used = "", 0.0
            for word in paragraph.split(" "):
                size = self.width(word, family, bold)
                if line and used + space + size <= room:
                    line, used = f"{line} {word}", used + space + size
                    continue
                if line:
                    lines.append(line)
                if size <= room:
                    line, used = word, size
                    continue
                *pieces, line = self._break_word(word, room, family, bold)
                lines.extend(pieces)
                used = self.width(line, family, bold)
            lines.append(line)
        return lines

    def _break_word(self, word: str, room: float, family: str, bold: bool) -> list[str]:
        pieces, piece = [], ""
        for character in word:
            if piece and self.width(piece + character, family, bold) > room:
                pieces.append(piece)
                piece = ""
            piece += character
        return [*pieces, piece]

    def row(self, cells: Sequence[object], *, bold: bool = False, fill: bool = False) -> None:
        laid_out = []
        for column, value in zip(COLUMNS, cells, strict=True):
            text = "" if value is None else str(value)
            family = self.family_for(text)
            laid_out.append((family, self.wrap(text, column.width - 2 * PAD, family, bold)))
        height = max(len(lines) for _, lines in laid_out) * LINE + 2 * PAD
        if self.y + height > FOOTER_AT and not fill:
            self.page()
        self._draw(laid_out, height, bold=bold, fill=fill)

    def _draw(self, laid_out: list[tuple[str, list[str]]], height: float, **style: bool) -> None:
        pdf, x = self.pdf, MARGIN
        if style["fill"]:
            pdf.rect(MARGIN, self.y, sum(c.width for c in COLUMNS), height, style="F")
        for column, (family, lines) in zip(COLUMNS, laid_out, strict=True):
            font = (family, "B" if style["bold"] and family == "Noto" else "")
            if font != self.font:  # set_font costs more than the text it sets
                pdf.set_font(*font, FONT_PT)
                self.font = font
            for number, line in enumerate(lines):
                if line:
                    pdf.text(x + PAD, self.y + PAD + number * LINE + BASELINE, line)
            x += column.width
        self.y += height
        pdf.line(MARGIN, self.y, x, self.y)

    def page(self) -> None:
        self.pdf.add_page()
        self.y = MARGIN
        self.row(HEADINGS, bold=True, fill=True)


def _title(grid: _Grid, register: Register) -> None:
    pdf = grid.pdf
    pdf.set_font("Noto", "B", 12)
    pdf.text(MARGIN, grid.y + 4, "Complaint register")
    pdf.set_font(grid.family_for(register.filters.described()), "", 8)
    pdf.text(MARGIN, grid.y + 9, register.filters.described())
    grid.y += 12
    grid.font = ("", "")


def register_pdf(register: Register, *, generated: str) -> bytes:
    from fpdf import FPDF

    fonts = font_files()
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("Noto", "", str(fonts[REGULAR]))
    pdf.add_font("Noto", "B", str(fonts[BOLD]))
    pdf.set_fill_color(*HEADING_FILL)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.1)
    grid = _Grid(pdf)
    texts = [register.filters.described(), *(str(v) for r in register.rows for v in cells_of(r))]
    if not all(grid.covers(text) for text in texts):
        grid.load_cjk()
    pdf.add_page()
    _title(grid, register)
    grid.row(HEADINGS, bold=True, fill=True)
    for row in register.rows:
        grid.row(cells_of(row))
    totals = totals_cells(register.totals)
    grid.row([totals.get(h) for h in HEADINGS], bold=True)
    _footers(pdf, generated)
    return bytes(pdf.output())


def _footers(pdf: Any, generated: str) -> None:
    """Page N of M, written once M is known (fpdf2's page-count alias is not replaced in text
    set in an embedded Unicode font)."""
    pages = pdf.page_no()
    pdf.set_font("Noto", "", FONT_PT)
    for number in range(1, pages + 1):
        pdf.page = number
        pdf.text(MARGIN, FOOTER_AT + 5, f"{generated}   page {number} of {pages}")
