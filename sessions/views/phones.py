"""The phone pages of table members, without an account (see sessions/phones.py for who may see
what): entering the join code on /mee/, following the table, marking and proposing."""

import asyncio

from django import forms
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actiescan.http import json_error, render_page_or_partial

from .. import phones
from ..fields import FieldError, whole_number
from ..models import ActionProposal, PhoneParticipant, SessionFactor
from ..push.sse import Denied, since_of, stream_response
from .present import refuse_robots
from .stream import released


class JoinForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"), max_length=32,
        help_text=gettext_lazy("De code van acht tekens die de moderator laat zien, bijvoorbeeld "
                               "KDTR-7M4P."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false", "class": "input--code"}),
    )
    name = forms.CharField(
        label=gettext_lazy("Uw voornaam"), required=False, max_length=200,
        help_text=gettext_lazy("Laat leeg om anoniem mee te doen. De moderator ziet uw voornaam "
                               "alleen bij uw ideeën voor actiepunten, nooit bij uw inschatting."),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )

    def clean_name(self):
        try:
            return phones.clean_name(self.cleaned_data["name"])
        except FieldError as error:
            raise forms.ValidationError(str(error)) from None


DENIED_MESSAGES = {
    phones.ENDED: gettext_lazy("Het gesprek is afgelopen."),
    phones.NO_ACCESS: gettext_lazy("U doet niet meer mee aan dit gesprek: de code is verlopen of "
                                   "ingetrokken. Vraag de moderator om een nieuwe code."),
}


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@never_cache
@require_http_methods(["GET", "POST"])
def enter(request):
    """/mee/: the public page where a table member types the join code (the QR code fills it in)
    and, if they like, a first name."""
    form = JoinForm(request.POST or None)
    context = {"form": form, "current": phones.latest_table(request)}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                participant = phones.join(request, raw_code=form.cleaned_data["code"],
                                          name=form.cleaned_data["name"])
            except phones.RateLimited:
                context.update(form=JoinForm(initial={"name": form.cleaned_data["name"]}),
                               rate_limited=True)
                return refuse_robots(render(request, "phones/enter.html", context, status=429))
            except phones.JoinRefused as refused:
                form.add_error("code", str(refused))
            else:
                if participant is not None:
                    return redirect("sessions:phone", pk=participant.session_id)
                form.add_error("code", _("Deze code klopt niet, is verlopen of is ingetrokken. "
                                         "Kijk nog eens goed of vraag de moderator om de code."))
        status = 400
    return refuse_robots(render(request, "phones/enter.html", context, status=status))


@require_POST
def leave(request):
    """Stop taking part on this phone (every table this browser joined)."""
    phones.leave(request)
    messages.info(request, _("U doet niet meer mee. Uw eigen inschattingen blijven anoniem "
                             "meetellen."))
    return redirect("sessions:phone_enter")


def phone_page(request, participant, denied, *, status=200, extra=None):
    context = {
        "session_pk": participant.session_id if participant else None,
        "participant": participant,
        "denied": denied,
        "state": phones.phone_state(participant) if participant and not denied else None,
        "proposal_limit": ActionProposal.MAX_LENGTH,
        **(extra or {}),
    }
    response = render_page_or_partial(request, "phones/phone.html", context,
                                       partials=("phone-body",), status=status)
    return refuse_robots(response)


@never_cache
@require_GET
def phone(request, pk):
    """The phone view of the table: page and its fragment (`phone-body`), rendered from
    phones.phone_state only."""
    participant, denied = phones.participant_for(request, pk)
    if denied == phones.NO_ACCESS and not request.htmx:
        messages.info(request, DENIED_MESSAGES[denied] if participant else
                      _("Voer de code in die de moderator laat zien."))
        return redirect("sessions:phone_enter")
    return phone_page(request, participant, denied)


@never_cache
@require_GET
def sync(request, pk):
    """The poll behind the stream (a proxy that buffers, a WSGI server): 204 when nothing
    changed since `since`, else the phone's state; 403 once it may no longer follow."""
    participant, denied = phones.participant_for(request, pk)
    if denied:
        return json_error(denied, str(DENIED_MESSAGES[denied]), 403)
    since = whole_number(request.GET.get("since", ""), -1)
    if since == participant.session.revision:
        return HttpResponse(status=204)
    return JsonResponse(phones.phone_state(participant))


# The table signal being read per session, per event loop: thirty phones woken by the same change
# wait for one read instead of starting thirty.
_signal_reads: dict[int, asyncio.Task] = {}


async def shared_signal(session_pk: int, *, after: int) -> phones.TableSignal | None:
    """The table's signal at a revision newer than `after` (see phones.table_signal), read at
    most once at a time per session in this process."""
    loop = asyncio.get_running_loop()
    while True:
        cached = phones.table_signal_read(session_pk, after=after)
        if cached is not None:
            return cached
        reading = _signal_reads.get(session_pk)
        joined = reading is not None and not reading.done() and reading.get_loop() is loop
        if not joined:
            reading = loop.create_task(read_signal(session_pk, after))
            _signal_reads[session_pk] = reading
            reading.add_done_callback(lambda done: _forget_read(session_pk, done))
        signal = await asyncio.shield(reading)
        # A read this stream joined may have begun before its change was committed: then it
        # reads again itself.
        if not joined or signal is None or signal.revision > after:
            return signal


def _forget_read(session_pk, done):
    if _signal_reads.get(session_pk) is done:
        del _signal_reads[session_pk]


def _read_signal(session_pk, after):
    return phones.table_signal(session_pk, after=after)


read_signal = released(_read_signal)


@require_GET
async def stream(request, pk):
    """The phone's live stream: an event with the phone's state whenever what it shows changed
    (docs/push.md). Access is checked again before every event; a revoked or expired code or a
    closed session ends the stream with `denied`."""
    ids = phones.ids_from(await request.session.aget(phones.SESSION_KEY, []))
    language = translation.get_language()

    def find():
        return (PhoneParticipant.objects.present().filter(pk__in=ids, session_id=pk)
                .values_list("pk", flat=True).first())

    participant_pk = await released(find)()
    if participant_pk is None:
        return json_error(phones.NO_ACCESS, str(DENIED_MESSAGES[phones.NO_ACCESS]), 403)
    sent = {"signal": None, "state": None, "until": None}

    def unchanged(signal) -> bool:
        return signal.key == sent["signal"] and timezone.now() < sent["until"]

    def state(since, signal):
        with translation.override(language):
            participant = phones.phone_for_stream(participant_pk, pk)
            denied = phones.access_of(participant)
            if denied:
                raise Denied(denied)
            state = phones.phone_state(participant)
        first = sent["state"] is None
        sent.update(signal=signal.key, until=participant.join_code.expires_at)
        if state["key"] == sent["state"] or (first and state["revision"] == since):
            sent["state"] = state["key"]
            return state["revision"], None
        sent["state"] = state["key"]
        return state["revision"], state

    state_in_thread = released(state)

    async def load(since):
        # Most wake-ups are typed text that no phone shows: the table's signal, read once per
        # process and revision for all its phones, says so without a query or a thread each.
        signal = await shared_signal(pk, after=since)
        if signal is None:
            raise Denied(phones.NO_ACCESS)
        if unchanged(signal):
            return signal.revision, None
        return await state_in_thread(since, signal)

    return stream_response(request, pk, since_of(request), load)


def _posted_factor(request, participant) -> SessionFactor:
    return get_object_or_404(
        SessionFactor.objects.only("pk", "session_id", "marks_open"),
        session_id=participant.session_id, pk=whole_number(request.POST.get("factor"), 0),
    )


def _answer(request, participant, *, form: str, message: str = "", error: str = "", extra=None):
    """The answer to a phone's POST: JSON for the page's script, else the page itself (after a
    success: redirect, so a reload does not post again)."""
    if wants_json(request):
        if error:
            return json_error("invalid", error, 400)
        return JsonResponse({"message": message, "state": phones.phone_state(participant)})
    if error:
        return phone_page(request, participant, "", status=400,
                          extra={"error": error, "error_for": form, **(extra or {})})
    messages.success(request, message)
    return redirect("sessions:phone", pk=participant.session_id)


def _allowed_phone(request, pk):
    participant, denied = phones.participant_for(request, pk)
    if not denied:
        return participant, None
    if wants_json(request):
        return None, json_error(denied, str(DENIED_MESSAGES[denied]), 403)
    return None, phone_page(request, participant, denied, status=403)


@require_POST
def mark(request, pk):
    """This phone's own view of the current factor, while the moderator has the marks open."""
    participant, refused = _allowed_phone(request, pk)
    if refused:
        return refused
    session_factor = _posted_factor(request, participant)
    try:
        phones.save_mark(participant=participant, session_factor=session_factor,
                         current=request.POST.get("current", ""),
                         desired=request.POST.get("desired", ""))
    except FieldError as error:
        return _answer(request, participant, form="mark", error=str(error))
    return _answer(request, participant, form="mark", message=_("Uw inschatting is bewaard. U kunt hem "
                                                   "wijzigen zolang de vraag openstaat."))


@require_POST
def proposal(request, pk):
    """This phone's idea for an action point of a factor."""
    participant, refused = _allowed_phone(request, pk)
    if refused:
        return refused
    session_factor = _posted_factor(request, participant)
    text = request.POST.get("text", "")
    try:
        phones.add_proposal(participant=participant, session_factor=session_factor, text=text)
    except FieldError as error:
        return _answer(request, participant, form="proposal", error=str(error),
                       extra={"proposal_text": text[:2000]})
    return _answer(request, participant, form="proposal", message=_("Verstuurd. De moderator ziet uw idee en "
                                                   "kan het overnemen."))
