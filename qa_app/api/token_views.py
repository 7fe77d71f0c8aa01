"""Web pages for personal API tokens: each user's own (My account → API tokens), and an
administrator's view of any user's tokens (for service accounts such as a BI tool)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.api.forms import ApiTokenForm
from qa_app.api.models import ApiToken
from qa_app.api.tokens import create_token, end_of_day, revoke_token, tokens_of
from qa_app.auth.access import role_required
from qa_app.auth.models import Role, User
from qa_app.database import utcnow
from qa_app.extensions import db
from qa_app.web.forms import PostForm
from qa_app.web.transaction import committing

bp = Blueprint("api_tokens", __name__)


def _page(owner: User, form: ApiTokenForm | None = None) -> ResponseReturnValue:
    return render_template(
        "api/tokens.html",
        owner=owner,
        tokens=tokens_of(owner),
        form=form or ApiTokenForm(),
        post_form=PostForm(),
        now=utcnow(),
    )


def _create(owner: User, form: ApiTokenForm) -> ResponseReturnValue:
    """Create the token and show its secret, once; or the page again with the problems."""
    if not form.validate_on_submit():
        return _page(owner, form), 400
    expires_at = end_of_day(form.expires_on.data, get_timezone()) if form.expires_on.data else None
    with committing() as outcome:
        new = create_token(owner, form.name.data, expires_at, current_user)
    if not outcome.saved:
        return _page(owner, form), 400
    return render_template(
        "api/token_created.html", owner=owner, token=new.token, secret=new.secret
    )


@bp.route("/account/tokens", methods=["GET", "POST"])
@role_required()
def mine() -> ResponseReturnValue:
    """The signed-in user's API tokens; posting the form creates one."""
    form = ApiTokenForm()
    if form.is_submitted():
        return _create(current_user, form)
    return _page(current_user, form)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@role_required()
def revoke_mine(token_id: int) -> ResponseReturnValue:
    """Revoke one of the signed-in user's own tokens (another user's: 404)."""
    token = db.first_or_404(
        db.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    )
    return _revoke(token, url_for("api_tokens.mine"))


@bp.route("/admin/users/<int:user_id>/tokens", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def for_user(user_id: int) -> ResponseReturnValue:
    """A user's API tokens, for an administrator; posting the form creates one for them."""
    owner = db.get_or_404(User, user_id)
    form = ApiTokenForm()
    if form.is_submitted():
        return _create(owner, form)
    return _page(owner, form)


@bp.route("/admin/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@role_required(Role.ADMIN)
def revoke_for_user(user_id: int, token_id: int) -> ResponseReturnValue:
    """Revoke any user's token, for an administrator."""
    token = db.first_or_404(
        db.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    )
    return _revoke(token, url_for("api_tokens.for_user", user_id=user_id))


def _revoke(token: ApiToken, back: str) -> ResponseReturnValue:
    if not PostForm().validate_on_submit():
        abort(400)
    revoke_token(token, current_user)
    db.session.commit()
    flash(_("The token “%(name)s” is revoked; it no longer works.", name=token.name), "success")
    return redirect(back)
