"""A submitted form is read from its custom id and values alone (``bot.discord.views.read_submission``),
so it can be answered by a process that never opened it."""

from __future__ import annotations

from bot.discord.views import MAX_FORM_VALUE, edit_form_id, image_form_id, read_submission


def test_an_edit_form_names_its_job_and_person_and_reads_values_from_labels_and_action_rows() -> None:
    data = {"custom_id": edit_form_id("abc123def456", 42), "components": [
        {"type": 18, "component": {"type": 4, "custom_id": "prompt", "value": "a cat"}},
        {"type": 1, "components": [{"type": 4, "custom_id": "seed", "value": "7"}]},
    ]}
    form = read_submission(data)
    assert form is not None
    assert (form.job_id, form.user_id, form.what) == ("abc123def456", 42, None)
    assert form.values == {"prompt": "a cat", "seed": "7"}


def test_an_image_form_names_the_message_it_was_opened_on() -> None:
    form = read_submission({"custom_id": image_form_id("reference", 9001, 123456789012345678, 5), "components": []})
    assert form is not None
    assert (form.what, form.channel_id, form.message_id, form.user_id) == ("reference", 9001, 123456789012345678, 5)


def test_login_and_bind_forms_name_their_kind_and_person() -> None:
    for kind in ("login", "bind"):
        form = read_submission({"custom_id": f"naibot-{kind}:42", "components": [
            {"type": 18, "component": {"type": 4, "custom_id": "token", "value": "pst-abc"}}]})
        assert form is not None and (form.login, form.user_id, form.values) == (kind, 42, {"token": "pst-abc"})
        assert form.job_id is None and form.what is None


def test_other_forms_and_malformed_data_are_not_ours() -> None:
    for data in ({"custom_id": "naibot-logout:42"}, {"custom_id": "naibot-login:"},
                 {"custom_id": "naibot-image:tool:1:2:3"}, {"custom_id": "naibot-edit:../x:1"}, {}, None,
                 "naibot-edit:abc:1"):
        assert read_submission(data) is None, data


def test_a_value_is_bounded_and_foreign_components_are_skipped() -> None:
    data = {"custom_id": edit_form_id("abc123", 1), "components": [
        {"type": 18, "component": {"type": 4, "custom_id": "prompt", "value": "x" * 10_000}},
        {"type": 18, "component": {"type": 3, "custom_id": "menu", "values": ["a"]}},
        {"type": 1, "components": ["junk", {"type": 4, "value": "no id"}]},
    ]}
    form = read_submission(data)
    assert form is not None and form.values == {"prompt": "x" * MAX_FORM_VALUE}
