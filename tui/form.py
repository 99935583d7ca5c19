"""A keyboard form in a modal: fields described as data, errors shown beside each field."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, Select, Static, TextArea

from domain.dates import DayParseError, parse_day
from tui.wording import explain, field_name, is_refusal

log = logging.getLogger(__name__)

Options = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Field:
    """One input of a form.

    `options_for` makes a select's choices follow another field named by
    `depends_on` (the check items follow the category). `refused_as` is the
    name a domain refusal gives this value when it differs (a step's date,
    `on` here, is `completed_on` there), so the refusal shows beside it.
    """

    name: str
    label: str
    kind: Literal["text", "area", "date", "select"] = "text"
    required: bool = False
    options: Options = ()
    value: str = ""
    placeholder: str = ""
    depends_on: str = ""
    options_for: Callable[[str], Options] | None = None
    refused_as: str = ""


class LineInput(Input):
    """A one-line field that keeps all of a pasted text, its lines joined by spaces.

    Textual's Input keeps a paste's first line only, without a word; and a
    tab pasted into a name would reach the exported sheet.
    """

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # Input's own handler would paste the first line again
        line = re.sub(r"\s*[\r\n\t]+\s*", " ", event.text.strip())
        if line:
            if self.selection.is_empty:
                self.insert_text_at_cursor(line)
            else:
                self.replace(line, *self.selection)
        event.stop()


class FormModal(ModalScreen[bool]):
    """Collect values, hand them to `submit`, and stay open until it succeeds.

    `submit` receives the parsed values (dates as `date`, empty selects as "")
    and may raise a domain refusal; its wording is shown beside the field it
    names, or under the form, and nothing typed is lost.
    """

    BINDINGS = [
        Binding("ctrl+s", "submit", "保存", priority=True, id="form.submit"),
        Binding("escape", "cancel", "取消", id="form.cancel"),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[Field],
        submit: Callable[[dict[str, Any]], None],
        *,
        year: int,
        hint: str = "",
        first: str = "",
    ) -> None:
        super().__init__()
        # The field the cursor starts in; by default the first required one empty.
        self.first = first
        self.form_title = title
        self.fields = list(fields)
        # What each field marked in red held when it was judged.
        self.judged: dict[str, Any] = {}
        self.submit = submit
        self.year = year
        self.hint = hint
        self.parent_values = {f.depends_on: "" for f in self.fields if f.depends_on}
        for field in self.fields:
            if field.name in self.parent_values:
                self.parent_values[field.name] = field.value

    def compose(self) -> ComposeResult:
        with Vertical(id="form-dialog"):
            yield Label(self.form_title, id="form-title")
            with VerticalScroll(id="form-fields"):
                for field in self.fields:
                    label = field.label + ("*" if field.required else "")
                    with Horizontal(classes="form-row"):
                        yield Label(label, classes="form-label")
                        yield self._widget(field)
                    yield Static("", id=f"error-{field.name}", classes="form-error")
            yield Static(self.hint, id="form-message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.initial = self.raw_values()
        self.cancel_asked = False
        # The first required field still empty; else an empty text to write
        # (an acceptance's opinion) rather than a date already set to today,
        # whose selected text the first key typed would replace.
        empties = [f for f in self.fields if not f.value]
        first = next((f for f in self.fields if f.name == self.first), None)
        first = first or next((f for f in empties if f.required), None)
        first = first or next((f for f in empties if f.kind == "area"), self.fields[0])
        self.query_one(f"#field-{first.name}").focus()

    def raw_values(self) -> list[Any]:
        """What each field holds now, unparsed; to tell whether anything was typed."""
        return [self.raw(field.name) for field in self.fields]

    def raw(self, name: str) -> Any:
        """What one field holds now, unparsed (a select's NULL as it is)."""
        widget = self.query_one(f"#field-{name}")
        if isinstance(widget, Select):
            return widget.value
        if isinstance(widget, TextArea):
            return widget.text
        if isinstance(widget, Input):
            return widget.value
        return None

    def dirty(self) -> bool:
        """Tell whether the operator changed anything since the form opened."""
        return self.is_mounted and self.raw_values() != getattr(self, "initial", None)

    def _widget(self, field: Field) -> Widget:
        wid = f"field-{field.name}"
        if field.kind == "select":
            options = field.options
            if field.options_for and field.depends_on:
                parent = next(f for f in self.fields if f.name == field.depends_on)
                options = field.options_for(parent.value)
            return Select(
                [(label, value) for label, value in options],
                value=field.value if field.value in {v for _, v in options} else Select.NULL,
                prompt="请选择",
                compact=True,
                id=wid,
                classes="form-input",
            )
        if field.kind == "area":
            area = TextArea(
                field.value, soft_wrap=True, tab_behavior="focus", id=wid,
                classes="form-input form-area",
            )
            area.show_line_numbers = False
            return area
        placeholder = field.placeholder or (
            "如 2022-06-20 或 6月20日" if field.kind == "date" else ""
        )
        return LineInput(
            field.value, placeholder=placeholder, compact=True, id=wid,
            classes="form-input",
        )

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        for row in self.query(".form-row"):
            row.set_class(row in event.widget.ancestors, "-current")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.clear_error(event.input)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.clear_error(event.text_area)

    def clear_error(self, widget: Widget) -> None:
        """Take a field's red mark away once it holds something else than was judged.

        Compared with what was judged, since the news of a change can arrive
        after a save that already judged the changed value.
        """
        name = (widget.id or "").removeprefix("field-")
        if name in self.judged and self.raw(name) != self.judged[name]:
            del self.judged[name]
            self.show_error(name, "")

    def on_select_changed(self, event: Select.Changed) -> None:
        name = (event.select.id or "").removeprefix("field-")
        self.clear_error(event.select)
        value = "" if event.value is Select.NULL else str(event.value)
        # A select announces its first value too; that must not clear a preset child.
        if self.parent_values.get(name) == value:
            return
        self.parent_values[name] = value
        for field in self.fields:
            if field.depends_on == name and field.options_for:
                child = self.query_one(f"#field-{field.name}", Select)
                child.set_options(field.options_for(value))

    def values(self) -> dict[str, Any] | None:
        """Read and parse every field, marking bad ones; None when any is bad."""
        values: dict[str, Any] = {}
        ok = True
        for field in self.fields:
            error = ""
            raw = self.raw(field.name)
            if raw is Select.NULL:
                raw = ""
            elif isinstance(self.query_one(f"#field-{field.name}"), Select):
                raw = str(raw)
            if field.required and not str(raw).strip():
                error = "必填"
            elif field.kind == "date" and raw.strip():
                try:
                    raw = parse_day(raw, year=self.year)
                except DayParseError as refusal:
                    error = explain(refusal)
            elif field.kind == "date":
                raw = None
            self.show_error(field.name, error)
            ok = ok and not error
            values[field.name] = raw
        return values if ok else None

    def show_error(self, name: str, text: str) -> None:
        if text:
            self.judged[name] = self.raw(name)
        error = self.query_one(f"#error-{name}", Static)
        error.update(text)
        error.display = bool(text)
        if text:
            error.scroll_visible()

    def action_submit(self) -> None:
        values = self.values()
        if values is None:
            self.query_one("#form-message", Static).update("请按红字提示修改后再保存。")
            # The cursor to the first field marked red, not left where it was.
            marked = next(f for f in self.fields if f.name in self.judged)
            self.query_one(f"#field-{marked.name}").focus()
            return
        try:
            self.submit(values)
        except Exception as error:
            if not is_refusal(error):
                log.exception("form %s failed", self.form_title)
            self.show_refusal(error)
            return
        self.dismiss(True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a line field: on to the next field, or from the last one, submit."""
        event.stop()
        if event.input.id == f"field-{self.fields[-1].name}":
            self.action_submit()
        else:
            self.focus_next()

    def show_refusal(self, error: Exception) -> None:
        message = explain(error)
        field = getattr(error, "field", None)
        if field is None and hasattr(error, "path"):
            field = "path"  # a file that cannot be written: beside the path typed
        if field is None and len(self.fields) == 1:
            field = self.fields[0].name  # a one-field form: it can only be that one
        named = next((f for f in self.fields if field in (f.name, f.refused_as)), None)
        if isinstance(field, str) and named is not None:
            # Named as this form labels it: one event field serves several forms.
            message = message.replace(f"“{field_name(field)}”", f"“{named.label}”")
            self.show_error(named.name, message)
            self.query_one(f"#field-{named.name}").focus()
        self.query_one("#form-message", Static).update(message)

    def action_cancel(self) -> None:
        """Close without saving; with typed content, only on a second Esc."""
        if self.dirty() and not self.cancel_asked:
            self.cancel_asked = True
            self.query_one("#form-message", Static).update(
                "已填写的内容尚未保存。再按一次 Esc 放弃，或按 Ctrl+S 保存。"
            )
            return
        self.dismiss(False)


class AskModal(FormModal):
    """A form that asks what to show rather than records: its key says 确定."""

    BINDINGS = [Binding("ctrl+s", "submit", "确定", priority=True, id="form.submit")]


def choices(values: Sequence[str]) -> Options:
    """Turn plain strings into select options labelled by themselves."""
    return [(v, v) for v in values]


def day_text(day: date | None) -> str:
    return day.isoformat() if day else ""
