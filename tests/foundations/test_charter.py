"""The shipped charter data loads and the loader rejects broken data with a useful message."""

import re
import shutil
from pathlib import Path

import pytest

from bot.foundations.charter import (
    DEFAULT_FOLDER,
    MAX_KEY_CHARS,
    THEME_GROUPS,
    Charter,
    CharterError,
    normalise,
)
from bot.foundations.i18n import LANGUAGES


@pytest.fixture(scope="module")
def charter() -> Charter:
    return Charter.load()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of the shipped data, to break on purpose."""
    return Path(shutil.copytree(DEFAULT_FOLDER, tmp_path / "charter"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- shipped data ----------------------------------------------------------------------


def test_default_folder_is_repo_charter():
    assert DEFAULT_FOLDER == Path(__file__).resolve().parents[2] / "charter"


def test_shipped_data_loads(charter):
    assert len(charter.themes_in("domain")) == 5
    assert len(charter.themes_in("manifestation")) == 6
    assert len(charter.themes_in("theme")) == 13
    assert [lv.key for lv in charter.levels] == ["individual", "team", "organisation"]
    assert {r.key for r in charter.referrals} == {
        "company_doctor", "prevention_advisor", "confidential_counsellor", "psychologist",
        "debt_help", "gp", "legal_aid", "complaint", "crisis_line",
    }
    assert re.fullmatch(r"[0-9a-f]{12}", charter.charter_version)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_charter_texts(charter, lang):
    text = charter.charter_text(lang)
    assert 500 < len(text) <= 3000
    assert "24" in text
    assert not re.search(r"[*#_`<>]", text), "plain text, no markup"
    # Same structure in every language, so a translation cannot silently drop a section.
    assert re.findall(r"^(\d+)\. ", text, re.M) == [str(n) for n in range(1, 9)]


def test_every_label_in_three_languages(charter):
    labelled = [*charter.themes, *charter.levels, *charter.emergency]
    for item in labelled:
        for lang in LANGUAGES:
            assert item.label(lang).strip(), (item.key, lang)
    for r in charter.referrals:
        for lang in LANGUAGES:
            assert r.name(lang) and r.contact(lang) and r.when_to_use(lang), (r.key, lang)


def test_theme_keys_are_short_ascii_and_unique(charter):
    keys = [t.key for t in charter.themes] + [lv.key for lv in charter.levels]
    assert len(keys) == len(set(keys))
    for key in keys:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", key) and len(key) <= MAX_KEY_CHARS, key
    assert {t.group for t in charter.themes} == set(THEME_GROUPS)


def test_only_work_related_themes_feed_the_work_figures(charter):
    private = {t.key for t in charter.private_themes}
    assert private == {"private_problems", "grief_shock"}
    assert all(t.work_related for t in charter.themes_in("domain") + charter.themes_in("manifestation"))
    assert {t.key for t in charter.work_themes} | private == {t.key for t in charter.themes}
    assert charter.theme("workload").work_related and not charter.theme("private_problems").work_related


def test_lookups(charter):
    assert charter.theme("workload").group == "theme"
    assert charter.theme("interpersonal_relations").label("fr") == "Relations interpersonnelles au travail"
    assert charter.theme("nope") is None
    assert charter.level("team").label("fr") == "Équipe"
    assert charter.referral("confidential_counsellor").name("nl") == "Vertrouwenspersoon"
    assert charter.referral("nope") is None
    with pytest.raises(ValueError):
        charter.theme("workload").label("de")


def test_placeholders_and_crisis_referral(charter):
    assert charter.referral("company_doctor").incomplete  # to be filled in by the coordinator
    assert not charter.referral("gp").incomplete
    assert "1733" in charter.referral("gp").contact("nl")
    assert charter.referral("crisis_line").shows_emergency


def numbers(lines):
    return [line.number for line in lines]


def test_emergency_be_nl(charter):
    got = numbers(charter.emergency_lines(["BE"], "nl"))
    assert got[0] == "112"
    assert {"112", "1813", "106"} <= set(got)
    assert "0800 32 123" not in got and "107" not in got and "113" not in got


def test_emergency_be_fr(charter):
    got = numbers(charter.emergency_lines(["BE"], "fr"))
    assert {"112", "0800 32 123", "107"} <= set(got)
    assert "1813" not in got and "106" not in got


def test_emergency_nl(charter):
    got = numbers(charter.emergency_lines(["NL"], "nl"))
    assert {"112", "113", "0800-0113"} <= set(got)
    assert "1813" not in got


def test_emergency_no_line_in_language_shows_all_of_country(charter):
    # Nobody answers in English in Belgium: better every Belgian line than 112 alone.
    got = numbers(charter.emergency_lines(["BE"], "en"))
    assert {"112", "1813", "0800 32 123"} <= set(got)


def test_emergency_country_order_and_single_string(charter):
    got = numbers(charter.emergency_lines(["NL", "BE"], "nl"))
    assert got.index("112") < got.index("113") < got.index("1813")
    assert numbers(charter.emergency_lines("BE", "nl")) == numbers(charter.emergency_lines(["BE"], "nl"))
    assert numbers(charter.emergency_lines([], "nl")) == ["112"]


# --- urgency ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Ik denk de laatste tijd aan zelfmoord",
    "ik heb ZELFMOORDGEDACHTEN",
    "Soms wil ik mezelf iets aandoen.",
    "Ik voel me niet   veilig\nthuis",
    "Ik ben suïcidaal",
    "J'ai envie de me tuer",
    "Je pense au suicide",
    "je ne me sens pas en securite",
    "Je veux mettre fin à mes jours",
    "I want to kill myself",
    "I'm not safe",
    "I dont want to live anymore",
    "having suicidal thoughts",
    "I keep thinking about self harm",
])
def test_looks_urgent(charter, text):
    assert charter.looks_urgent(text)


@pytest.mark.parametrize("text", [
    "I have too much work and my manager ignores me",
    "Ik heb te veel werk en mijn leidinggevende negeert me",
    "J'ai trop de travail et mon chef m'ignore",
    "Ik heb een conflict met een collega over de planning",
    "The scaffolding on line 3 is dangerous",
    "I hurt my back lifting boxes",
    "Comme tuer le temps quand on attend la réorganisation ?",
    "",
])
def test_ordinary_text_is_not_urgent(charter, text):
    assert not charter.looks_urgent(text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_urgency_word_matches_itself(charter, lang):
    words = charter.urgency_words(lang)
    assert words
    for word in words:
        assert charter.looks_urgent(word.rstrip("*")), word


def test_normalise():
    assert normalise("  Zelfmoord!  SUÏCIDE\tl’air don't ") == "zelfmoord suicide lair dont"


# --- broken data -----------------------------------------------------------------------


def load_error(folder: Path) -> str:
    with pytest.raises(CharterError) as info:
        Charter.load(folder)
    return str(info.value)


def test_missing_french_label(folder):
    edit(folder / "themes.toml", 'label.fr = "Charge de travail élevée"\n', "")
    msg = load_error(folder)
    assert "themes.toml" in msg and 'key = "workload"' in msg and "label.fr" in msg


def test_duplicate_key(folder):
    edit(folder / "referrals.toml", 'key = "gp"', 'key = "psychologist"')
    msg = load_error(folder)
    assert "referrals.toml" in msg and '"psychologist"' in msg and "already used" in msg


def test_bad_toml_names_the_file(folder):
    edit(folder / "emergency.toml", 'number = "112"', "number = 112\"")
    with pytest.raises(CharterError) as info:
        Charter.load(folder)
    assert info.value.file.name == "emergency.toml"
    assert "not valid TOML" in str(info.value)


def test_number_must_be_text(folder):
    edit(folder / "emergency.toml", 'number = "112"', "number = 112")
    msg = load_error(folder)
    assert "emergency.toml" in msg and 'key = "all_112"' in msg and "number" in msg


def test_unknown_language_in_labels(folder):
    edit(folder / "themes.toml", 'label.en = "Job content"', 'label.en = "Job content"\nlabel.de = "Inhalt"')
    msg = load_error(folder)
    assert "themes.toml" in msg and "label.de" in msg


def test_bad_key(folder):
    edit(folder / "themes.toml", 'key = "workload"', 'key = "Work load"')
    assert "themes.toml" in load_error(folder)
    edit(folder / "themes.toml", 'key = "Work load"', f'key = "{"x" * (MAX_KEY_CHARS + 1)}"')
    assert "at most" in load_error(folder)


def test_work_related_is_required_and_a_boolean(folder):
    edit(folder / "themes.toml", 'key = "workload"\nwork_related = true\n', 'key = "workload"\n')
    msg = load_error(folder)
    assert "themes.toml" in msg and 'key = "workload"' in msg and "'work_related' is missing" in msg
    edit(folder / "themes.toml", 'key = "workload"\n', 'key = "workload"\nwork_related = "yes"\n')
    msg = load_error(folder)
    assert 'key = "workload"' in msg and "true or false" in msg


def test_levels_have_no_work_related_flag(folder):
    edit(folder / "themes.toml", 'key = "team"', 'key = "team"\nwork_related = true')
    assert "unknown field 'work_related'" in load_error(folder)


def test_unknown_field_is_a_typo(folder):
    edit(folder / "referrals.toml", 'shows_emergency = true', 'show_emergency = true')
    msg = load_error(folder)
    assert "referrals.toml" in msg and "show_emergency" in msg


def test_emergency_unknown_language(folder):
    edit(folder / "emergency.toml", 'languages = ["nl"]', 'languages = ["vl"]')
    assert "emergency.toml" in load_error(folder)


def test_missing_charter_text(folder):
    (folder / "charter.fr.txt").unlink()
    assert "charter.fr.txt" in load_error(folder)


def test_charter_text_too_long(folder):
    (folder / "charter.en.txt").write_text("x" * 3501, encoding="utf-8")
    msg = load_error(folder)
    assert "charter.en.txt" in msg and "3501" in msg


def test_urgency_word_too_short_or_duplicate(folder):
    edit(folder / "urgency.toml", '"zelfdoding",', '"moe",')
    assert "urgency.toml" in load_error(folder)
    edit(folder / "urgency.toml", '"moe",', '"Zelfmoord*",')
    msg = load_error(folder)
    assert "urgency.toml" in msg and "twice" in msg


def test_missing_file(folder):
    (folder / "referrals.toml").unlink()
    assert "referrals.toml" in load_error(folder)


# --- formal and informal routes ---------------------------------------------------------


def test_routes_show_for_violence_bullying_and_unwanted_sexual_behaviour(charter):
    assert charter.route_themes == {"violence", "bullying", "unwanted_sexual"}
    assert [r.key for r in charter.routes_for({"bullying", "workload"})] == ["informal", "formal", "outside"]
    assert charter.routes_for({"workload"}) == ()
    for route in charter.routes:
        assert route.referral is None or charter.referral(route.referral) is not None
        for lang in LANGUAGES:
            assert route.name(lang) and route.text(lang)


def test_route_theme_must_exist(folder):
    edit(folder / "routes.toml", '"bullying"', '"mobbing"')
    msg = load_error(folder)
    assert "routes.toml" in msg and '"mobbing"' in msg and "themes.toml" in msg


def test_route_referral_must_exist(folder):
    edit(folder / "routes.toml", 'referral = "prevention_advisor"', 'referral = "advisor"')
    msg = load_error(folder)
    assert "routes.toml" in msg and 'key = "formal"' in msg and '"advisor"' in msg


def test_route_needs_every_language(folder):
    edit(folder / "routes.toml", 'text.fr = "Une demande', 'texte.fr = "Une demande')
    msg = load_error(folder)
    assert "routes.toml" in msg and 'key = "formal"' in msg
