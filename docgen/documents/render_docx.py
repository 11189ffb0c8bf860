"""Word backend: docxtpl templates, prepared once and rendered many times.

docxtpl's `render()+save()` re-parses the template, patches its XML, renders, re-parses
the result and re-zips the whole package for every document. Here a template is read
and patched (with docxtpl's own `patch_xml`, so the template language is docxtpl's) and
compiled by Jinja once; each document is then one Jinja render of the XML parts and a
stored zip of the other, unchanged, parts.
"""

from __future__ import annotations

import functools
import re

import jinja2
from markupsafe import Markup, escape

from docgen.documents import templating
from docgen.cache import remembered
from docgen.documents.package import CORE_PATH, NOT_XML, core_xml, write_package
from docgen.records.problems import DocgenError

_RENDERED = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
_BREAK = '</w:t><w:br/><w:t xml:space="preserve">'
_TAB = '</w:t><w:tab/><w:t xml:space="preserve">'
# docxtpl's way of writing a literal "{{" (and "}}", "{%", "%}") in a template's own text
_COMPUTED_ELEMENT = re.compile(r"<(w:\w+)([^<>]*?)>((?:<!--docgen:\w+=.*?-->)+)</\1>")
_COMPUTED = re.compile(r"<!--docgen:(\w+)=(.*?)-->")
_LITERAL = re.compile(r"\{_\{|\}_\}|\{_%|%_\}")


def word_text(value) -> Markup:
    """A value as WordprocessingML text: escaped, line breaks and tabs kept."""
    if value is None:
        return Markup("")
    if isinstance(value, Markup):
        return value
    text = NOT_XML.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return Markup(str(escape(text)).replace("\n", _BREAK).replace("\t", _TAB))


# a run of text, its properties and its text, line breaks and tabs (as docgen and the templates write them)
_RUN = re.compile(r'<w:r( [^>]*)?>(<w:rPr>(?:(?!</w:rPr>).)*</w:rPr>)?'
                  r'((?:<w:t(?: xml:space="preserve")?>[^<]*</w:t>|<w:br/>|<w:tab/>)+)</w:r>', re.S)
_PIECE = re.compile(r'<w:t(?: xml:space="preserve")?>([^<]*)</w:t>|<w:br/>|<w:tab/>')
_LATIN = re.compile(r"&[#\w]+;|([0-9A-Za-z]{2,})")  # (an escape such as &amp; is not a word)
_LATIN_TEXT = re.compile(r"<w:t(?: xml:space=\"preserve\")?>[^<]*?[0-9A-Za-z]{2}[^<]*</w:t>")
# what follows w:lang in a run's properties: the schema's last three, its change record and any extension
# (w14:ligatures, w14:textFill … that Word writes after it)
_AFTER_LANG = re.compile(r"<w:(?:eastAsianLayout|specVanish|oMath|rPrChange)\b|<(?!w:)\w+:\w|</w:rPr>")
ENGLISH = '<w:lang w:val="en-US"/>'


def latin_apart(xml: str) -> str:
    """Letters and digits in runs of their own marked as English (`w:lang w:val`).

    The templates' language is Chinese, Latin text included, so that quotes and dashes print
    full-width in the Chinese face; but LibreOffice breaks Latin text set as Chinese between any
    two characters: a credit code printed as 521302/83G8A6QH66NX across two lines, a year as
    〔202/0〕, an 执法证号 in two halves. As English, such a word moves to the next line whole."""
    out, at = [], 0
    for text in _LATIN_TEXT.finditer(xml):  # (a text node with two letters or digits in a row: few per document)
        if text.start() < at:
            continue  # in the run just split
        near = max(0, text.start() - 4096)  # (a run's properties are short: never search the whole document)
        start = max(xml.rfind("<w:r>", near, text.start()), xml.rfind("<w:r ", near, text.start()))
        end = xml.find("</w:r>", text.end())
        split = _split_run(xml[start:end + 6]) if start >= at and end >= 0 else None
        if split is None:
            continue  # not a plain run of text (a field, a drawing): left as it is
        out += [xml[at:start], split]
        at = end + 6
    return "".join(out) + xml[at:] if out else xml


@functools.lru_cache(maxsize=16384)
def _split_run(xml: str) -> str | None:
    """One run as runs of Chinese and of English text, None if it is not a plain run of text
    (remembered: a plan's documents repeat their dates, numbers and names thousands of times)."""
    run = _RUN.fullmatch(xml)
    if run is None:
        return None
    opening, props, content = f"<w:r{run.group(1) or ''}>", run.group(2) or "", run.group(3)
    if not any(m.group(1) for piece in _PIECE.finditer(content) if piece.group(1)
               for m in _LATIN.finditer(piece.group(1))):
        return xml
    english = _english(props)
    pieces: list[tuple[bool, str]] = []  # (English?, XML of text, breaks and tabs)
    for piece in _PIECE.finditer(content):
        text = piece.group(1)
        if text is None:
            pieces.append((False, piece.group(0)))
            continue
        at = 0
        for word in _LATIN.finditer(text):
            if word.group(1) is None:
                continue
            if word.start() > at:
                pieces.append((False, text[at:word.start()]))
            pieces.append((True, word.group(0)))
            at = word.end()
        if at < len(text):
            pieces.append((False, text[at:]))
    out, kind, body = [], None, []
    for latin, piece in pieces + [(None, "")]:
        if latin is not kind and body:
            out.append(f"{opening}{english if kind else props}{''.join(body)}</w:r>")
            body = []
        kind = latin
        if piece.startswith("<w:br") or piece.startswith("<w:tab"):
            body.append(piece)
        elif piece:
            body.append(f'<w:t xml:space="preserve">{piece}</w:t>')
    return "".join(out)


def _english(props: str) -> str:
    if not props:
        return f"<w:rPr>{ENGLISH}</w:rPr>"
    if "<w:lang " in props:
        def english(lang: re.Match) -> str:
            others = re.sub(r'\s*w:val="[^"]*"', "", lang.group(1)).strip()
            return f'<w:lang w:val="en-US" {others}/>' if others else ENGLISH

        return re.sub(r"<w:lang ([^>]*?)/>", english, props, count=1)
    at = _AFTER_LANG.search(props).start()
    return props[:at] + ENGLISH + props[at:]


def make_env() -> jinja2.Environment:
    return templating.environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=word_text,
                                  keep_trailing_newline=True)


def prepare(entries: list[tuple[str, bytes]]) -> dict[str, str]:
    """The XML parts of a template as Jinja source, through docxtpl's own preprocessing."""
    from docxtpl import DocxTemplate  # imported only when a template is new to this archive

    prepared = {}
    for part, data in entries:
        if _RENDERED.match(part):
            xml = DocxTemplate.patch_xml(None, computed_attributes(data.decode("utf-8")))
            prepared[part] = literal_escapes(xml.replace("<w:t>", '<w:t xml:space="preserve">'))
    return prepared


def computed_attributes(xml: str) -> str:
    """`<w:w w:val="100"><!--docgen:val={{ x }}--></w:w>` as `<w:w w:val="{{ x }}"/>`.

    Jinja in an attribute would make the template itself invalid OOXML; the template keeps a
    valid value and names the expression in a comment, which Word and validators pass over."""

    def attribute(match: re.Match) -> str:
        attrs = match.group(2)
        for name, expression in _COMPUTED.findall(match.group(3)):
            attrs, found = re.subn(rf'( w:{name}=")[^"]*(")', lambda m: m.group(1) + expression + m.group(2), attrs)
            if not found:
                attrs += f' w:{name}="{expression}"'
        return f"<{match.group(1)}{attrs}/>"

    return _COMPUTED_ELEMENT.sub(attribute, xml) if "<!--docgen:" in xml else xml


def literal_escapes(source: str) -> str:
    """docxtpl's `{_{` `}_}` `{_%` `%_}` in the template's text as Jinja string expressions.

    docxtpl replaces them in the rendered XML, which alters a record's text that happens to
    contain them; made part of the template here, they never touch what the records say."""
    return _LITERAL.sub(lambda m: "{{ %r }}" % m.group(0).replace("_", ""), source)


class WordTemplate:
    """One .docx template, ready to render documents.

    The preprocessed XML is kept in `cache_dir` under the template's SHA-256, so that a
    later build neither imports docxtpl nor patches the template again (an entry this user's
    docgen did not write from these very bytes is prepared again, see `cache.remembered`).
    """

    def __init__(self, path: str, name: str, env: jinja2.Environment | None = None, cache_dir: str | None = None):
        self.name = name
        self.env = env or make_env()
        blob, self.entries = templating.read_template(path, name, "Word 文件（.docx）", "word/document.xml")

        def make():
            try:
                return prepare(self.entries)
            except (UnicodeDecodeError, ValueError) as exc:
                raise DocgenError(f"模板 {name} 无法读取：{exc}") from None

        parts = {part for part, _ in self.entries}
        prepared = remembered(cache_dir, b"docx", blob, make=make,
                              valid=lambda value: isinstance(value, dict) and all(
                                  part in parts and _RENDERED.match(part) and isinstance(xml, str)
                                  for part, xml in value.items()))
        self.compiled: dict[str, jinja2.Template] = {}
        for part, xml in prepared.items():
            try:
                self.compiled[part] = templating.template(self.env, "docx", f"{name}/{part}", xml)
            except jinja2.TemplateSyntaxError as exc:
                raise templating.syntax_error(name, exc) from None
        self.constant = templating.constant_parts(self.entries, self.compiled)

    def render(self, context: dict, title: str, when: str) -> bytes:
        out = []
        for part, data in self.entries:
            if part in self.compiled:
                try:
                    xml = self.compiled[part].render(context)
                except templating.TEMPLATE_FAULTS as exc:
                    raise templating.failure(self.name, exc) from None
                data = (latin_apart(xml) if part == "word/document.xml" else xml).encode("utf-8")
            elif part == CORE_PATH:
                data = core_xml(title, when)
            else:
                out.append(self.constant.get(part) or (part, data))
                continue
            out.append((part, data))
        return write_package(out)
