"""Generate the rows of the demo data set: pure functions of a seed and a day, no database.

Rows carry explicit ids (the database is empty when the demo runs), so that the
whole set can be written with bulk inserts and foreign keys need no round trip.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from faker import Faker

from coach.accounts.tables import User
from coach.assessments.instruments import Instrument, get_instrument
from coach.assessments.tables import Assessment
from coach.choices import (
    EMPLOYED_STATUSES,
    AssessmentMode,
    Education,
    Gender,
    LabourStatus,
    Role,
    Theme,
    UnemploymentDuration,
)
from coach.groups.tables import CoachingGroup, GroupCoach
from coach.meetings.tables import Attendance, Meeting
from coach.paging import fold
from coach.participants.tables import Participant, StatusChange

HELSINKI = ZoneInfo("Europe/Helsinki")
WEEK = dt.timedelta(weeks=1)
DAY = dt.timedelta(days=1)
GROUP_WEEKS = 52
INSTRUMENTS = ("who5", "was", "lifestyle")
CONSENT_VERSION = "1.0"
# The first group finished half a year ago (so it has six-month follow-ups), the
# second is running; any further groups (benchmarks) finished within the last year.
FIRST_GROUPS_WEEKS_AGO = (80, 40)

# Six months after leaving, those not in work are in one of these situations.
AFTER_WITHOUT_WORK = {
    LabourStatus.unemployed: 55,
    LabourStatus.education: 15,
    LabourStatus.rehabilitation: 12,
    LabourStatus.outside_labour_force: 10,
    LabourStatus.work_trial: 8,
}
# Those in precarious work who have moved to full-time work six months after leaving.
PROMOTED = frozenset((LabourStatus.employed_part_time, LabourStatus.subsidised_employment,
                      LabourStatus.apprenticeship))

# The users of every demo: (username, role).
DEMO_USERS = (
    ("admin", Role.admin),
    ("coach1", Role.coach),
    ("coach2", Role.coach),
    ("evaluator", Role.evaluator),
)

# Column order of the rows each table receives.
COLUMNS: dict[type, tuple[str, ...]] = {
    User: ("id", "username", "display_name", "password_hash", "role", "is_active",
           "must_change_password", "language", "created_at"),
    CoachingGroup: ("id", "name", "name_folded", "starts_on", "ends_on",
                    "usual_duration_minutes", "assessment_interval_weeks", "created_at"),
    GroupCoach: ("id", "group", "coach"),
    Participant: ("id", "group", "display_name", "birth_year", "gender", "education",
                  "status_at_entry", "unemployed_for", "enrolled_on", "exited_on",
                  "consent_given_on", "consent_version", "consent_recorded_by", "created_at"),
    StatusChange: ("id", "participant", "status", "effective_on", "recorded_by", "recorded_at"),
    Meeting: ("id", "group", "held_on", "duration_minutes", "themes", "private_note",
              "created_by", "created_at", "updated_at"),
    Attendance: ("id", "meeting", "participant", "present"),
    Assessment: ("id", "participant", "instrument", "instrument_version", "taken_on",
                 "completed_at", "answers", "raw_score", "score", "band", "mode",
                 "recorded_by"),
}

# Early meetings get to know the group and its habits; later ones turn to work and money.
EARLY_THEMES = {Theme.physical_activity: 5, Theme.sleep: 4, Theme.nutrition: 4,
                Theme.mental_wellbeing: 5, Theme.everyday_skills: 2, Theme.other: 1}
LATE_THEMES = {Theme.job_seeking: 6, Theme.finances: 3, Theme.substances: 2,
               Theme.physical_activity: 3, Theme.mental_wellbeing: 3, Theme.nutrition: 2,
               Theme.everyday_skills: 2, Theme.sleep: 1, Theme.other: 1}
NOTES = (
    "Hyvä keskustelu unesta. {name} kertoi nukkuvansa nyt paremmin.",
    "Kahvitauolla hyvää keskustelua arjen rytmistä.",
    "Kävelylenkki sujui hienosti, melkein koko ryhmä mukana.",
    "Ryhmässä vähän jännitteitä; puhutaan ensi kerralla yhteisistä säännöistä.",
    "Talousasioista paljon kysymyksiä. Pyydetään talous- ja velkaneuvoja vieraaksi.",
    "Sovittiin, että ensi kerralla tehdään CV:t yhdessä.",
    "{name} kertoi stressistä kotona; tarjosin kahdenkeskistä aikaa.",
    "Vieraana työllisyyspalveluiden asiantuntija, hyviä kysymyksiä.",
    "Ruokapäiväkirjat jäivät osalta tekemättä, muistutetaan.",
    "{name} oli innoissaan uudesta harrastuksesta.",
    "Hiljainen kerta, moni väsynyt. Lyhennettiin vähän.",
    "Käytiin kuntosalilla tutustumassa, {name} aikoo jatkaa omalla ajalla.",
)

EMPLOYED_JOBS = {
    LabourStatus.employed_full_time: 34,
    LabourStatus.employed_part_time: 26,
    LabourStatus.subsidised_employment: 20,
    LabourStatus.apprenticeship: 12,
    LabourStatus.self_employed: 8,
}
# How much a job leaves of someone's chance to come to a daytime meeting.
ATTENDANCE_AFTER_JOB = {
    LabourStatus.employed_full_time: 0.35,
    LabourStatus.subsidised_employment: 0.45,
    LabourStatus.apprenticeship: 0.4,
    LabourStatus.self_employed: 0.6,
    LabourStatus.employed_part_time: 0.75,
}


def _weighted(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=HELSINKI)


def _clip(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return low if value < low else high if value > high else value


def is_holiday(day: dt.date) -> bool:
    """Return True in the summer and Christmas breaks, when groups do not meet."""
    md = (day.month, day.day)
    return (6, 19) <= md <= (8, 6) or md >= (12, 20) or md <= (1, 6)


def group_sizes(groups: int, participants: int) -> list[int]:
    """Spread the participants over the groups as evenly as possible."""
    base, extra = divmod(participants, groups)
    return [base + (1 if index < extra else 0) for index in range(groups)]


def group_start(index: int, today: dt.date) -> dt.date:
    """Return the Monday of the week a group started, at a fixed distance before today."""
    if index < len(FIRST_GROUPS_WEEKS_AGO):
        weeks_ago = FIRST_GROUPS_WEEKS_AGO[index]
    else:
        weeks_ago = GROUP_WEEKS + 2 + (index * 7) % GROUP_WEEKS
    day = today - weeks_ago * WEEK
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Person:
    """What the generator needs to know about one participant while making their year."""

    id: int
    name: str
    enrolled_on: dt.date
    history: list[tuple[LabourStatus, dt.date]]
    attendance: float  # base chance of coming to a meeting
    drop: float  # how much of it fades by the end of the year (0 for most)
    drop_from: float  # fraction of the year when the fading starts
    wellbeing: float  # latent 0-1 at baseline
    gain: float  # latent change over the year
    offsets: dict[str, float] = field(default_factory=dict)  # per instrument
    job: tuple[LabourStatus, dt.date] | None = None

    def chance(self, day: dt.date, year_fraction: float) -> float:
        """Return the chance of coming to a meeting on a day."""
        chance = self.attendance
        if year_fraction > self.drop_from:
            chance -= self.drop * (year_fraction - self.drop_from) / (1 - self.drop_from)
        if self.job and day >= self.job[1]:
            chance *= ATTENDANCE_AFTER_JOB[self.job[0]]
        return chance


class DemoData:
    """Make the rows of a demo; the same seed and day always give the same rows."""

    def __init__(self, seed: int, today: dt.date, password_hashes: dict[str, str]):
        self.rng = random.Random(seed)
        # A stream of its own, so that adding follow-ups left every other row as it was.
        self.follow_rng = random.Random(f"follow-up:{seed}")
        self.fake = Faker("fi_FI")
        self.fake.seed_instance(seed)
        self.today = today
        self.password_hashes = password_hashes
        self.rows: dict[type, list[tuple]] = {table: [] for table in COLUMNS}
        self.next_ids: dict[type, int] = {table: 1 for table in COLUMNS}
        self.user_ids: dict[str, int] = {}
        self.instruments = [get_instrument(name) for name in INSTRUMENTS]
        self.items = {
            instrument.id: [(item.id, sorted(item.values)) for item in instrument.items
                            if item.required]
            for instrument in self.instruments
        }
        self._scores: dict[tuple, tuple[int, float, str]] = {}

    def add(self, table: type, *values) -> int:
        """Buffer one row with the next id of its table; return the id."""
        row_id = self.next_ids[table]
        self.next_ids[table] = row_id + 1
        self.rows[table].append((row_id, *values))
        return row_id

    def take(self) -> dict[type, list[tuple]]:
        """Return the buffered rows and start new buffers."""
        rows, self.rows = self.rows, {table: [] for table in COLUMNS}
        return rows

    def buffered(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    # --- users ---------------------------------------------------------------------------

    def users(self, groups: int) -> None:
        # Before the first group started (group starts repeat after 2 + GROUP_WEEKS groups).
        first_start = min(group_start(index, self.today)
                          for index in range(min(groups, 2 + GROUP_WEEKS)))
        created = _at(first_start - 4 * WEEK, 9)
        for username, role in DEMO_USERS:
            self.user_ids[username] = self.add(
                User, username, self.fake.name(), self.password_hashes[username], role.value,
                True, False, "", created,
            )

    def coach_of(self, index: int) -> int:
        """Return the coach of a group: coach1 the first, coach2 the second, and so on."""
        return self.user_ids["coach1" if index % 2 == 0 else "coach2"]

    # --- a group and its year ------------------------------------------------------------

    def group(self, index: int, size: int, employed: set[int], first_person: int) -> None:
        """Make one group with its participants, meetings, attendance and assessments.

        `employed` holds the running numbers (over all groups) of the participants
        who are in work by the end; `first_person` is this group's first number.
        """
        rng = self.rng
        # Groups meet Monday to Thursday; the start is moved to the meeting day.
        starts_on = group_start(index, self.today) + dt.timedelta(days=rng.randrange(4))
        ends_on = starts_on + (GROUP_WEEKS - 1) * WEEK
        last_day = min(ends_on, self.today - DAY)  # data only up to yesterday
        coach = self.coach_of(index)
        duration = rng.choice((90, 90, 90, 120))
        season = "kevät" if starts_on.month <= 5 else "kesä" if starts_on.month <= 8 else "syksy"
        name = f"Elintapavalmennus {self.fake.city()}, {season} {starts_on.year}"
        group_id = self.add(CoachingGroup, name, fold(name), starts_on, ends_on, duration, 4,
                            _at(starts_on - 3 * WEEK, 10))
        self.add(GroupCoach, group_id, coach)

        names: set[str] = set()
        people = [
            self.participant(group_id, starts_on, ends_on, last_day, coach, names,
                             first_person + number in employed)
            for number in range(size)
        ]
        meetings = self.meetings(group_id, starts_on, last_day, duration, coach, people)
        present = self.attendance(meetings, people, starts_on)
        exited_on = ends_on if ends_on < self.today else None
        for person in people:
            self.history(person, coach)
            self.follow_up(person, exited_on, coach)
            self.assessments(person, starts_on, ends_on, coach, meetings, present[person.id])

    def participant(self, group_id: int, starts_on: dt.date, ends_on: dt.date,
                    last_day: dt.date, coach: int, names: set[str], employed: bool) -> Person:
        rng, fake = self.rng, self.fake
        gender = _weighted(rng, {Gender.female: 47, Gender.male: 47, Gender.other: 3,
                                 Gender.not_told: 3})
        female = gender is Gender.female or (gender is not Gender.male and rng.random() < 0.5)
        name = fake.first_name_female() if female else fake.first_name_male()
        while name in names:  # two of the same name in a group: add a surname's initial
            name = f"{name.split(' ')[0]} {fake.last_name()[0]}."
        names.add(name)
        age = round(rng.triangular(19, 63, 42))
        education = _weighted(rng, {Education.none: 4, Education.basic: 38,
                                    Education.upper_secondary: 48, Education.tertiary: 10})
        entry = _weighted(rng, {LabourStatus.unemployed: 74, LabourStatus.rehabilitation: 9,
                                LabourStatus.work_trial: 5, LabourStatus.outside_labour_force: 8,
                                LabourStatus.unknown: 4})
        unemployed_for = None
        if entry is LabourStatus.unemployed:
            unemployed_for = _weighted(rng, {
                UnemploymentDuration.under_6_months: 5,
                UnemploymentDuration.from_6_to_12_months: 15,
                UnemploymentDuration.from_12_to_24_months: 35,
                UnemploymentDuration.over_24_months: 45,
            }).value
        # Most start at the first meeting; a few join in the first weeks.
        enrolled_on = starts_on if rng.random() < 0.85 else starts_on + rng.randint(1, 3) * WEEK
        exited_on = ends_on if ends_on < self.today else None
        person_id = self.add(
            Participant, group_id, name, self.today.year - age, gender.value, education.value,
            entry.value, unemployed_for, enrolled_on, exited_on, enrolled_on, CONSENT_VERSION,
            coach, _at(enrolled_on, 12),
        )
        history = self.career(entry, enrolled_on, last_day - WEEK, employed)
        job = history[-1] if employed else None
        dropping = rng.random() < 0.3
        return Person(
            id=person_id, name=name, enrolled_on=enrolled_on, history=history,
            attendance=_clip(rng.gauss(0.84, 0.09), 0.5, 0.98),
            drop=rng.uniform(0.25, 0.5) if dropping else 0.0,
            drop_from=rng.uniform(0.2, 0.6),
            wellbeing=_clip(rng.gauss(0.4, 0.11), 0.12, 0.72),
            gain=rng.gauss(0.17, 0.09),
            offsets={name: rng.gauss(0, 0.06) for name in INSTRUMENTS},
            job=job,
        )

    def career(self, entry: LabourStatus, start: dt.date, end: dt.date,
               employed: bool) -> list[tuple[LabourStatus, dt.date]]:
        """Return a labour-market history from the status at entry, ending in work or not."""
        rng = self.rng
        span = (end - start).days  # groups have run 36 weeks or more

        def day(low: float, high: float) -> dt.date:
            return start + dt.timedelta(days=max(1, int(span * rng.uniform(low, high))))

        history = [(entry, start)]

        def then(status: LabourStatus, on: dt.date) -> None:
            if status is not history[-1][0] and start < on <= end and on > history[-1][1]:
                history.append((status, on))

        roll = rng.random()
        if employed:
            if roll < 0.35:
                then(LabourStatus.work_trial, day(0.1, 0.4))
            then(_weighted(rng, EMPLOYED_JOBS), day(0.45, 0.95))
        elif roll < 0.45:
            pass  # no change during the year
        elif roll < 0.65:
            then(rng.choice((LabourStatus.education, LabourStatus.rehabilitation,
                             LabourStatus.work_trial)), day(0.2, 0.9))
        else:
            # A short job or a work trial that ended, back to looking for work.
            first = (LabourStatus.employed_part_time if roll < 0.85 else LabourStatus.work_trial)
            began = day(0.15, 0.5)
            then(first, began)
            then(LabourStatus.unemployed, began + rng.randint(8, 16) * WEEK)
            if history[-1][0] is not LabourStatus.unemployed and len(history) > 1:
                history.pop()  # the end came before the job ended: leave it out
        return history

    def history(self, person: Person, coach: int) -> None:
        for status, on in person.history:
            recorded = _at(min(on + dt.timedelta(days=self.rng.randint(0, 4)),
                               self.today - DAY), 15)
            self.add(StatusChange, person.id, status.value, on, coach, recorded)

    def follow_up(self, person: Person, exited_on: dt.date | None, coach: int) -> None:
        """Record the status found at the six-month follow-up, for most who have left.

        Whoever was in work by the end still is (some moved to full-time work), and
        whoever was not is still not, so "half in work by the end" holds to the last
        entry. About one in five is never reached: their status stays unknown.
        """
        rng = self.follow_rng
        if exited_on is None:
            return
        day = exited_on + 26 * WEEK - dt.timedelta(days=rng.randint(0, 14))
        reached = rng.random() < 0.8
        if day >= self.today or not reached:
            return
        last = person.history[-1][0]
        if last in EMPLOYED_STATUSES:
            status = (LabourStatus.employed_full_time
                      if last in PROMOTED and rng.random() < 0.3 else last)
        else:
            status = _weighted(rng, AFTER_WITHOUT_WORK)
        recorded = _at(min(day + dt.timedelta(days=rng.randint(0, 4)), self.today - DAY), 15)
        self.add(StatusChange, person.id, status.value, day, coach, recorded)

    def meetings(self, group_id: int, starts_on: dt.date, last_day: dt.date, duration: int,
                 coach: int, people: list[Person]) -> list[tuple[int, dt.date]]:
        """Make about weekly meetings with breaks in summer and at Christmas."""
        rng = self.rng
        meetings: list[tuple[int, dt.date]] = []
        day = starts_on
        while day <= last_day:
            # The first meeting always happens; later about one in twenty-five is cancelled.
            if day == starts_on or (not is_holiday(day) and rng.random() > 0.04):
                year_fraction = (day - starts_on).days / 364
                themes = self.themes(year_fraction)
                length = rng.choice((duration,) * 6 + (duration - 30, duration + 30))
                note = ""
                if rng.random() < 0.25:
                    note = rng.choice(NOTES).format(name=rng.choice(people).name)
                done = _at(day, 12) + dt.timedelta(minutes=length + rng.randint(5, 90))
                meetings.append((self.add(Meeting, group_id, day, length, themes, note, coach,
                                          done, done), day))
            day += WEEK
        return meetings

    def themes(self, year_fraction: float) -> str:
        weights = EARLY_THEMES if self.rng.random() > year_fraction else LATE_THEMES
        count = self.rng.choice((1, 2, 2, 3))
        picked = set(self.rng.choices(list(weights), weights=list(weights.values()), k=count))
        return json.dumps([theme.value for theme in Theme if theme in picked])

    def attendance(self, meetings: list[tuple[int, dt.date]], people: list[Person],
                   starts_on: dt.date) -> dict[int, set[int]]:
        """Record who came to each meeting; return each person's meeting ids."""
        rng, add = self.rng, self.add
        present: dict[int, set[int]] = {person.id: set() for person in people}
        for meeting_id, day in meetings:
            year_fraction = (day - starts_on).days / 364
            for person in people:
                if day < person.enrolled_on:
                    continue
                came = rng.random() < person.chance(day, year_fraction)
                add(Attendance, meeting_id, person.id, came)
                if came:
                    present[person.id].add(meeting_id)
        return present

    # --- self-assessments ----------------------------------------------------------------

    def assessments(self, person: Person, starts_on: dt.date, ends_on: dt.date, coach: int,
                    meetings: list[tuple[int, dt.date]], present: set[int]) -> None:
        """Make baseline, four-weekly, final and six-month follow-up assessments."""
        rng = self.rng
        due = [person.enrolled_on]
        due += [starts_on + weeks * WEEK for weeks in range(4, GROUP_WEEKS, 4)
                if starts_on + weeks * WEEK >= person.enrolled_on + 2 * WEEK]
        due.append(ends_on)
        keen = 0.5 + 0.45 * person.attendance
        for number, day in enumerate(due):
            if day >= self.today:
                break
            final = number == len(due) - 1
            if number and rng.random() > (0.9 if final else keen):
                continue
            self.sitting(person, day, starts_on, coach, meetings, present, first=number == 0)
        follow_up = ends_on + 26 * WEEK
        if follow_up + WEEK < self.today and rng.random() < 0.6:
            self.sitting(person, follow_up, starts_on, coach, [], set(), first=False)

    def sitting(self, person: Person, due: dt.date, starts_on: dt.date, coach: int,
                meetings: list[tuple[int, dt.date]], present: set[int], first: bool) -> None:
        """Make one sitting: every instrument answered on the same day."""
        rng = self.rng
        # At a meeting the participant came to, on the coach's phone; otherwise at home.
        taken_on, mode, recorded_by = None, AssessmentMode.invite, None
        for meeting_id, day in meetings:
            if due <= day <= due + 2 * WEEK and (meeting_id in present or first):
                taken_on, mode, recorded_by = day, AssessmentMode.together, coach
                break
        if taken_on is None:
            taken_on = min(due + dt.timedelta(days=rng.randint(0, 6)), self.today - DAY)
        completed = (_at(taken_on, 13, rng.randint(0, 59)) if mode is AssessmentMode.together
                     else _at(taken_on, rng.randint(8, 21), rng.randint(0, 59)))
        year_fraction = min((taken_on - starts_on).days / 364, 1.0)
        level = person.wellbeing + person.gain * year_fraction ** 0.7 + rng.gauss(0, 0.04)
        if person.job and taken_on >= person.job[1]:
            level += 0.07
        for instrument in self.instruments:
            answers = self.answers(instrument, level + person.offsets[instrument.id])
            raw, score, band = self.score(instrument, answers)
            self.add(Assessment, person.id, instrument.id, instrument.version, taken_on,
                     completed, json.dumps(answers), raw, score, band, mode.value, recorded_by)

    def answers(self, instrument: Instrument, level: float) -> dict[str, int]:
        """Answer every item near a latent level between 0 (worst) and 1 (best)."""
        if not instrument.scoring.higher_is_better:
            level = 1 - level
        gauss = self.rng.gauss
        return {
            item_id: values[round(_clip(level + gauss(0, 0.12)) * (len(values) - 1))]
            for item_id, values in self.items[instrument.id]
        }

    def score(self, instrument: Instrument, answers: dict[str, int]) -> tuple[int, float, str]:
        # Scoring is the instrument's own; memoised because large runs repeat answer sets.
        key = (instrument.id, *answers.values())
        if key not in self._scores:
            scored = instrument.score(answers)
            self._scores[key] = (scored.raw_score, scored.score, scored.band)
        return self._scores[key]
