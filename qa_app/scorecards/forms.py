"""The web builder's forms."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from qa_app.channels import CHANNEL_LABELS
from qa_app.extensions import db
from qa_app.scorecards.definition import RESERVED_SLUGS, SLUG, Problem, check_criterion
from qa_app.scorecards.models import Scorecard
from qa_app.scorecards.problems import plain_reason
from qa_app.scorecards.training_modules import training_modules
from qa_app.scorecards.translation_fields import TranslatedTexts, add_translation_fields
from qa_app.scoring import DEFAULT_PASS_MARK
from qa_app.web.forms import MultiCheckboxField, greater_than_zero, strip_whitespace, to_choices

KIND_LABELS = {
    "yes_no": _l("Yes / no"),
    "scale": _l("Scale (e.g. 1 to 5)"),
    "points": _l("Points (0 to a maximum)"),
}


class RevisionForm(FlaskForm):
    """A POST button on the draft: carries the draft revision it was shown with."""

    revision = HiddenField(validators=[DataRequired()])

    @property
    def revision_number(self) -> int:
        """The revision as a number (-1 when tampered with, which never matches)."""
        try:
            return int(self.revision.data or "")
        except (TypeError, ValueError):
            return -1


class ScorecardSettingsForm(FlaskForm):
    """Name, slug (new scorecards only), description, channels and pass mark."""

    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=120)], filters=[strip_whitespace]
    )
    slug = StringField(
        _l("Short name for files and links"),
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(SLUG.pattern, message=_l("Use lowercase letters, digits and hyphens.")),
        ],
        filters=[strip_whitespace],
        description=_l("Becomes the file name, e.g. inbound-call.toml. It cannot change later."),
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=1000)], filters=[strip_whitespace]
    )
    channels = MultiCheckboxField(
        _l("Channels"),
        choices=to_choices(CHANNEL_LABELS.items()),
        validators=[DataRequired(message=_l("Choose at least one channel."))],
    )
    pass_mark = FloatField(
        _l("Pass mark (%)"), default=DEFAULT_PASS_MARK, validators=[NumberRange(0, 100)]
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        if not creating:
            del self.slug

    def validate_slug(self, field: Any) -> None:
        """A new scorecard's slug is required and unique."""
        if field.data in RESERVED_SLUGS:
            raise ValidationError(_l("This short name is reserved; choose another."))
        taken = db.session.scalar(sa.select(Scorecard.id).where(Scorecard.slug == field.data))
        if taken is not None:
            raise ValidationError(_l("Another scorecard already uses this short name."))


class DraftSettingsForm(RevisionForm, ScorecardSettingsForm, TranslatedTexts):
    """The settings of an existing draft, with the revision they were loaded at, and the
    translations of its name and description."""


add_translation_fields(DraftSettingsForm, "name", 120)
add_translation_fields(DraftSettingsForm, "description", 1000, text_area=True)


class SectionForm(RevisionForm, TranslatedTexts):
    """A section's title (with its translations) and optional weight."""

    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=120)], filters=[strip_whitespace]
    )
    weight = FloatField(
        _l("Section weight"),
        validators=[Optional(), greater_than_zero],
        description=_l(
            "Leave empty to weigh the section by the weights of its answered "
            "criteria (the usual choice)."
        ),
    )
    submit = SubmitField(_l("Save section"))


add_translation_fields(SectionForm, "title", 120)


# Where check_criterion's problem for a file key is shown, per kind.
_FIELD_FOR_KEY = {"min": "scale_min", "max": "scale_max"}
# Module selects shown: at least this many, and one empty beyond those chosen.
MODULE_SLOTS = 3


class CriterionForm(RevisionForm, TranslatedTexts):
    """Every property of a criterion; checked with the same rules as a scorecard file."""

    label = StringField(
        _l("Label"), validators=[DataRequired(), Length(max=200)], filters=[strip_whitespace]
    )
    key = StringField(
        _l("Key"),
        validators=[Optional(), Length(max=64)],
        filters=[strip_whitespace],
        description=_l(
            "A stable identifier used in exports, e.g. active_listening. Made from "
            "the label when left empty; it cannot change once published."
        ),
    )
    guidance = TextAreaField(
        _l("Guidance: what good looks like"),
        validators=[DataRequired(), Length(max=4000)],
        filters=[strip_whitespace],
        render_kw={"rows": 5},
    )
    kind = SelectField(_l("Answer"), choices=to_choices(KIND_LABELS.items()))
    scale_min = IntegerField(_l("Scale from"), default=1, validators=[Optional()])
    scale_max = IntegerField(_l("Scale to"), default=5, validators=[Optional()])
    points_max = FloatField(_l("Maximum points"), validators=[Optional()])
    weight = FloatField(_l("Weight"), default=1, validators=[InputRequired()])
    na_allowed = BooleanField(_l("May be answered N/A (does not apply)"))
    critical = BooleanField(_l("Critical: a failure sets the whole evaluation to 0"))
    fail_below = FloatField(
        _l("Critical failure below"),
        validators=[Optional()],
        description=_l(
            "For critical scale and points criteria: values below this fail. "
            "Empty: only the lowest value (a no, the scale minimum, 0 points) fails."
        ),
    )
    # Chosen from the training catalogue, most relevant first (plans propose the first
    # module an agent does not have yet). validate_choice is off so that a module the
    # catalogue no longer has is told in words by the file rules, beside this field.
    training = FieldList(
        SelectField(validate_choice=False),
        label=_l("Training modules, most relevant first"),
        description=_l(
            "The modules of the training catalogue that teach this criterion. Training "
            "plans propose the first one an agent has not had yet."
        ),
        min_entries=MODULE_SLOTS,
    )
    submit = SubmitField(_l("Save criterion"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = training_modules()
        self.training_errors: list[str] = []
        if all(entry.data for entry in self.training):
            self.training.append_entry()  # room for one more module
        self._offer_modules()

    def _offer_modules(self) -> None:
        """Each module select offers the catalogue, and the module it holds if the
        catalogue no longer has it (so that the form shows what the draft names)."""
        known = {key for key, _title in self.catalogue}
        base = [("", _l("(none)")), *self.catalogue]
        for entry in self.training:
            chosen = entry.data or ""
            missing = [(chosen, chosen)] if chosen and chosen not in known else []
            entry.choices = to_choices([*base, *missing])

    def modules(self) -> list[str]:
        """The chosen modules in order, each once."""
        chosen = [str(entry.data).strip() for entry in self.training if entry.data]
        return list(dict.fromkeys(item for item in chosen if item))

    def criterion(self) -> dict[str, Any]:
        """The criterion as the file format writes it (only the fields its kind uses)."""
        data: dict[str, Any] = {
            "key": self.key.data or "",
            "label": self.text("label"),
            "guidance": self.text("guidance"),
            "kind": self.kind.data,
        }
        if self.kind.data == "scale":
            data["min"], data["max"] = self.scale_min.data, self.scale_max.data
        elif self.kind.data == "points":
            data["max"] = self.points_max.data
        data.update(
            weight=self.weight.data, na_allowed=self.na_allowed.data, critical=self.critical.data
        )
        if self.fail_below.data is not None:
            data["fail_below"] = self.fail_below.data
        data["training"] = self.modules()
        return data

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then the file format's rules, each shown beside its field."""
        if not super().validate(extra_validators):
            return False
        data = self.criterion()
        if not data["key"]:
            data["key"] = "placeholder"  # a missing key is made from the label later
        known = frozenset(key for key, _title in self.catalogue)
        canonical, problems = check_criterion(data, known, self.language)
        self.show_problems(problems)
        self.canonical = canonical if self.key.data else {**canonical, "key": ""}
        return not problems

    def show_problems(self, problems: list[Problem]) -> None:
        """Put each of the file rules' problems beside the field it concerns."""
        for problem in problems:
            name = problem.field_name
            if name == "training":
                self.training_errors.append(plain_reason(problem))
                continue
            if name == "max" and self.kind.data == "points":
                name = "points_max"
            field = getattr(self, _FIELD_FOR_KEY.get(name, name), None) or self.label
            field.errors = [*field.errors, plain_reason(problem)]

    def load(self, criterion: dict[str, Any]) -> None:
        """Fill the form from a criterion of the draft."""
        self.load_text("label", criterion.get("label"))
        self.load_text("guidance", criterion.get("guidance"))
        for name in (
            "key",
            "kind",
            "weight",
            "na_allowed",
            "critical",
            "fail_below",
        ):
            getattr(self, name).data = criterion.get(name)
        if criterion.get("kind") == "scale":
            self.scale_min.data, self.scale_max.data = criterion.get("min"), criterion.get("max")
        elif criterion.get("kind") == "points":
            self.points_max.data = criterion.get("max")
        modules = list(criterion.get("training", []))
        slots = max(MODULE_SLOTS, len(modules) + 1)
        self.training.process(None, [*modules, *[""] * (slots - len(modules))])
        self._offer_modules()


add_translation_fields(CriterionForm, "label", 200)
add_translation_fields(CriterionForm, "guidance", 4000, text_area=True)


class MoveForm(RevisionForm):
    """Move or remove a section or criterion (indexes are positions in the draft)."""

    section = IntegerField(validators=[InputRequired(), NumberRange(min=0)])
    criterion = IntegerField(validators=[Optional(), NumberRange(min=0)])
    offset = IntegerField(validators=[Optional(), NumberRange(min=-1, max=1)])
