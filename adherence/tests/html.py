"""Reading rendered pages as a person does: a small HTML tree, a `Page` wrapper and `get`/`post` helpers.

Shared by the view tests of every app. `text` is all the text (screen-reader-only text included);
`spoken` leaves out what is aria-hidden. Block elements never run their words into their neighbours'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements that start a new line of text: their words never run into their neighbours'.
_BLOCK = {"p", "div", "li", "ul", "ol", "td", "th", "tr", "h1", "h2", "h3", "h4", "dt", "dd", "dl", "section"}
_BLOCK |= {"nav", "form", "fieldset", "legend", "label", "button", "option", "details", "summary", "caption"}


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All the text, screen-reader-only text included, in single spaces."""
        return " ".join(self._text(spoken=False).split())

    @property
    def spoken(self) -> str:
        """What a screen reader says: without what is aria-hidden."""
        return " ".join(self._text(spoken=True).split())

    def _text(self, *, spoken: bool) -> str:
        if spoken and self.attrs.get("aria-hidden") == "true":
            return ""
        inner = "".join(
            child if isinstance(child, str) else child._text(spoken=spoken) for child in self.children
        )
        return f" {inner} " if self.tag in _BLOCK else inner

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> list[Node]:
        """Elements by tag, class and attributes (aria_label= matches aria-label)."""
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and (cls is None or cls in node.classes)
            and all(node.attrs.get(name.replace("_", "-")) == value for name, value in attrs.items())
        ]

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> Node | None:
        found = self.find_all(tag, cls=cls, **attrs)
        return found[0] if found else None

    def ancestor(self, tag: str, cls: str) -> Node | None:
        """The nearest enclosing element with this tag and class."""
        node = self.parent
        while node is not None and not (node.tag == tag and cls in node.classes):
            node = node.parent
        return node

    def values(self) -> dict[str, list[str]]:
        """What the browser would send from the controls in here: typed text, ticked boxes, chosen options."""
        sent: dict[str, list[str]] = {}
        for node in self.iter():
            name = node.attrs.get("name")
            if not name or node.tag not in ("input", "select", "textarea"):
                continue
            kind = node.attrs.get("type", "text")
            if node.tag == "select":
                options = node.find_all("option")
                chosen = [option for option in options if "selected" in option.attrs] or options[:1]
                sent.setdefault(name, []).extend(option.attrs.get("value", option.text) for option in chosen)
            elif node.tag == "textarea":
                sent.setdefault(name, []).append(node.text)
            elif kind in ("radio", "checkbox"):
                sent.setdefault(name, [])
                if "checked" in node.attrs:
                    sent[name].append(node.attrs.get("value", "on"))
            elif kind not in ("submit", "button"):
                sent.setdefault(name, []).append(node.attrs.get("value", ""))
        return sent


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in _VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs) -> None:
        self.current.children.append(Node(tag, {name: value or "" for name, value in attrs}, self.current))

    def handle_endtag(self, tag) -> None:
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data) -> None:
        self.current.children.append(data)


def parse(html: str | bytes) -> Node:
    builder = _TreeBuilder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    return builder.root


class Page:
    """A rendered page (status 200): its heading, text, messages, header links, dose rows and form."""

    def __init__(self, response) -> None:
        assert response.status_code == 200, (response.status_code, response.content[:500])
        self.response = response
        self.path = response.request["PATH_INFO"]
        self.root = parse(response.content)

    @property
    def h1(self) -> str:
        return self.root.find("h1").text

    @property
    def main(self) -> str:
        return (self.root.find("main") or self.root).text

    @property
    def messages(self) -> list[str]:
        return [item.text for item in self.root.find_all("li", cls="message")]

    @property
    def tagged_messages(self) -> list[tuple[str, str]]:
        """The messages as (level, text), e.g. ("success", "Your profile is saved.")."""
        return [
            (next(c for c in item.classes if c.startswith("message--")).removeprefix("message--"), item.text)
            for item in self.root.find_all("li", cls="message")
        ]

    @property
    def error_messages(self) -> list[str]:
        return [item.text for item in self.root.find_all("li", cls="message--error")]

    @property
    def notices(self) -> list[str]:
        return [notice.text for notice in self.root.find("main").find_all("p", cls="notice")]

    @property
    def section_links(self) -> dict[str, str]:
        nav = self.root.find("nav", cls="section-nav")
        return {} if nav is None else {link.text: link.attrs["href"] for link in nav.find_all("a")}

    @property
    def current_section(self) -> str | None:
        nav = self.root.find("nav", cls="section-nav")
        current = nav and nav.find("a", aria_current="page")
        return current.text if current else None

    @property
    def rows(self) -> list[Node]:
        return self.root.find_all("li", cls="dose")

    def row(self, dose) -> Node:
        """The row of one dose (anything with a pk)."""
        found = self.root.find("li", id=f"dose-{dose.pk}")
        assert found is not None, f"no row for dose {dose.pk} in: {self.main}"
        return found

    def form_posting_to(self, url: str) -> Node | None:
        return next((form for form in self.root.find_all("form") if form.attrs.get("action") == url), None)

    def form(self) -> Node:
        """The page's own form (in <main>; the header holds the sign-out form)."""
        main = self.root.find("main")
        return main.find("form", novalidate="") or main.find("form")

    def values(self) -> dict[str, list[str]]:
        return self.form().values()

    def _controls(self, name: str) -> list[Node]:
        return [node for node in self.form().iter() if node.attrs.get("name") == name]

    def value(self, name: str) -> str | None:
        """What the field shows: typed text, the chosen option or the ticked radio button."""
        controls = self._controls(name)
        assert controls, f"no field named {name}"
        control = controls[0]
        if control.tag == "select":
            chosen = control.find("option", selected="")
            return chosen.attrs["value"] if chosen else None
        if control.attrs.get("type") == "radio":
            ticked = [radio for radio in controls if "checked" in radio.attrs]
            return ticked[0].attrs["value"] if ticked else None
        return control.attrs.get("value", "")

    def is_ticked(self, name: str) -> bool:
        (checkbox,) = self._controls(name)
        assert checkbox.attrs["type"] == "checkbox"
        return "checked" in checkbox.attrs

    def error(self, name: str) -> str:
        """The error shown in the field's own group, tied to its input for screen readers."""
        controls = self._controls(name)
        assert controls, f"no field named {name}"
        group = controls[0].ancestor("div", "field")
        assert group is not None, f"the {name} field is in no field group"
        errors = group.find("ul", cls="errorlist")
        if errors is None:
            return ""
        assert errors.attrs["id"] == f"id_{name}_error"
        assert any(
            errors.attrs["id"] in node.attrs.get("aria-describedby", "").split() for node in group.iter()
        ), f"nothing in the {name} group is described by its error"
        return errors.text

    def errors(self) -> dict[str, str]:
        """Every field's error, by field name."""
        return {
            errors.attrs["id"].removeprefix("id_").removesuffix("_error"): errors.text
            for errors in self.form().find_all("ul", cls="errorlist")
        }


def get(client, url: str, **extra) -> Page:
    return Page(client.get(url, follow=True, **extra))


def post(client, url: str, data: dict | None = None, **extra) -> Page:
    return Page(client.post(url, data or {}, follow=True, **extra))
