"""The web app in Chromium against the whole platform: sign in, generate, watch progress, see and
play results, the page's own copy into our bucket, and what happens when the page goes away."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from playwright.sync_api import Request, Route, expect
from tests.browser.studio import PHONE, Studio, Transferred, new_account

PAGE_WEIGHT_BUDGET = 200_000
PAYMENT_REQUIRED = "the server responded with a status of 402"


def test_an_image_is_generated_shown_and_copied_into_the_bucket_by_the_page(
    studio: Studio,
) -> None:
    weight = Transferred(studio.page)
    studio.open()
    studio.page.wait_for_load_state("networkidle")
    first_load = weight.total
    studio.sign_in(new_account())
    assert studio.page.locator("#credits-available").text_content() == "10"
    assert studio.page.locator("#plan").text_content() == "free"

    studio.choose("Text to image")
    studio.fill("prompt", "a red fox in the snow")
    assert studio.page.locator("#cost").text_content() == "Costs 2 credits"
    studio.generate()
    studio.wait_until_done()

    moving = [v for v in studio.progress_values() if 0 < v < 100]
    assert moving, f"the bar went {studio.progress_values()}"
    assert studio.shown_image_width() > 0
    media = studio.media_once_stored(studio.result_media_id(), studio.token())
    assert (media["status"], media["stored_by"]) == ("stored", "client")
    history = studio.page.locator("#history li").first
    assert "succeeded" in (history.text_content() or "")
    charged = studio.page.locator("#statement tbody tr", has_text="Charged")
    # Credits settle a moment after the success; the page reads them again when they have.
    expect(charged).to_have_count(1, timeout=20_000)
    expect(studio.page.locator("#credits-available")).to_have_text("8", timeout=20_000)
    studio.screenshot("image")
    assert first_load < PAGE_WEIGHT_BUDGET, f"first load transferred {first_load} bytes"
    print(f"page weight: sign-in page {first_load} bytes")


def test_a_signed_in_studio_loads_within_the_page_weight_budget(studio: Studio) -> None:
    studio.sign_in(new_account())
    weight = Transferred(studio.page)
    weight.forget_cache()
    studio.page.reload()
    studio.wait_for_studio()
    studio.page.wait_for_load_state("networkidle")

    assert weight.total < PAGE_WEIGHT_BUDGET, f"the studio transferred {weight.total} bytes"
    print(f"page weight: studio, signed in, {weight.total} bytes")


def test_at_phone_width_the_studio_fits_and_works_by_keyboard(studio: Studio) -> None:
    studio.page.set_viewport_size(PHONE)
    studio.open()
    studio.page.keyboard.type(new_account())  # the account field has focus
    studio.page.keyboard.press("Enter")
    studio.wait_for_studio()

    studio.fill("prompt", "a lighthouse at dusk")
    studio.generate()
    studio.wait_until_done()

    assert studio.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert studio.shown_image_width() > 0
    media = studio.media_once_stored(studio.result_media_id(), studio.token())
    assert media["stored_by"] == "client"
    unlabelled = studio.page.evaluate(
        "[...document.querySelectorAll('#studio input, #studio select, #studio textarea')]"
        ".filter(f => !f.labels?.length && !f.getAttribute('aria-label')).map(f => f.id)"
    )
    assert unlabelled == []


def test_a_page_closed_right_after_success_leaves_the_copy_to_the_backend(
    studio: Studio,
) -> None:
    studio.sign_in(new_account())
    token = studio.token()
    held: list[Route] = []

    def hold_the_page_copy(route: Route, request: Request) -> None:
        # The page's download of the output (not the <img>) stalls, so the page is closed
        # after the success and before its copy reached the bucket.
        if request.resource_type == "fetch":
            held.append(route)
        else:
            route.continue_()

    studio.page.route("**/files/**", hold_the_page_copy)
    studio.fill("prompt", "a boat on a lake")
    studio.generate()
    studio.page.wait_for_function(
        "() => document.getElementById('run-status').textContent === 'Done.'", timeout=60_000
    )
    for _ in range(200):
        if held:
            break
        studio.page.wait_for_timeout(50)
    assert held, "the page never started its copy"
    media_id = studio.result_media_id()
    studio.page.close()

    media = studio.media_once_stored(media_id, token, within_s=45)
    assert (media["status"], media["stored_by"]) == ("stored", "server")


def test_short_of_credits_the_page_says_what_it_costs_and_what_is_available(
    studio: Studio,
) -> None:
    studio.console.allow(PAYMENT_REQUIRED)
    studio.sign_in(new_account())
    studio.choose("Text to video")
    studio.fill("prompt", "waves")
    studio.fill("duration", "10")
    studio.select("resolution", "720p")
    assert studio.page.locator("#cost").text_content() == "Costs 30 credits · you have 10"

    studio.generate()

    message = studio.page.locator("#message")
    assert message.text_content() == "Not enough credits: this costs 30, you have 10 available."
    assert studio.page.locator("#history li").count() == 0


def test_a_reload_mid_generation_resumes_the_progress_where_it_was(studio: Studio) -> None:
    studio.sign_in(new_account())
    resumed_from: list[str | None] = []
    studio.page.on(
        "request",
        lambda r: (
            resumed_from.append(r.headers.get("last-event-id"))
            if r.url.endswith("/events")
            else None
        ),
    )
    studio.fill("prompt", "a slow sunrise")
    studio.generate()
    studio.page.wait_for_function("() => Number(document.getElementById('progress').value) > 0")
    before = int(studio.page.locator("#progress").evaluate("bar => bar.value"))

    studio.page.reload()
    studio.wait_until_done()

    assert resumed_from[0] is None
    assert resumed_from[-1], "the stream after the reload named no Last-Event-ID"
    assert min(studio.progress_values()) >= before
    assert studio.shown_image_width() > 0


def test_a_video_plays_in_the_page(studio: Studio) -> None:
    studio.sign_in(new_account())
    studio.choose("Text to video")
    studio.fill("prompt", "a paper plane over a city")
    studio.fill("duration", "2")
    assert studio.page.locator("#cost").text_content() == "Costs 4 credits"
    studio.generate()
    studio.wait_until_done()

    assert studio.wait_for_playable("video") > 0
    studio.screenshot("video")


def test_a_song_plays_in_the_page(studio: Studio) -> None:
    studio.sign_in(new_account())
    studio.choose("Song from a description")
    studio.fill("prompt", "a calm piano tune")
    studio.fill("duration", "5")
    assert studio.page.locator("#cost").text_content() == "Costs 5 credits"
    studio.generate()
    studio.wait_until_done()

    assert studio.wait_for_playable("audio") > 0
    studio.screenshot("music")


def test_cancel_stops_the_generation_and_returns_the_credits(studio: Studio) -> None:
    studio.sign_in(new_account())
    studio.fill("prompt", "never mind")
    studio.generate()
    expect(studio.page.locator("#credits-frozen")).to_have_text("2")

    studio.page.get_by_role("button", name="Cancel").click()

    status = studio.page.locator("#run-status")
    expect(status).to_have_text("Canceled; your credits were returned.", timeout=30_000)
    expect(studio.page.locator("#credits-available")).to_have_text("10")
    expect(studio.page.locator("#credits-frozen")).to_have_text("0")
    expect(studio.page.locator("#history li").first).to_contain_text("canceled")
    assert studio.page.locator("#results .result").count() == 0


def test_an_earlier_result_is_the_input_file_of_image_to_image(studio: Studio) -> None:
    studio.sign_in(new_account())
    studio.fill("prompt", "a teapot")
    studio.generate()
    studio.wait_until_done()
    source = studio.page.locator("#results img").get_attribute("src")

    studio.choose("Image to image")
    pick = studio.page.get_by_label("Image: one of your results")
    pick.select_option(index=1)
    assert studio.page.locator("#field-image_url").input_value() == source
    studio.fill("prompt", "the teapot in watercolour")
    assert studio.page.locator("#cost").text_content() == "Costs 3 credits"
    studio.generate()
    studio.wait_until_done()

    restyled = studio.page.locator("#results img")
    assert restyled.get_attribute("src") != source
    assert studio.shown_image_width() > 0


def test_a_png_picked_from_disk_is_uploaded_and_restyled(studio: Studio, tmp_path: Path) -> None:
    picture = tmp_path / "kite.png"
    Image.new("RGB", (64, 48), (200, 40, 40)).save(picture)
    puts: list[str] = []
    studio.page.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    studio.sign_in(new_account())

    studio.choose("Image to image")
    studio.page.locator("#field-image_url-file").set_input_files(picture)
    studio.fill("prompt", "the kite in watercolour")
    studio.generate()
    studio.wait_until_done()

    assert studio.page.locator("#message").text_content() == ""
    assert any("/inputs/" in url for url in puts), puts
    assert studio.shown_image_width() > 0


def test_a_picked_file_of_a_refused_type_is_explained(studio: Studio, tmp_path: Path) -> None:
    picture = tmp_path / "kite.gif"
    Image.new("RGB", (8, 8)).save(picture)
    studio.sign_in(new_account())

    studio.choose("Image to image")
    studio.page.locator("#field-image_url-file").set_input_files(picture)
    studio.fill("prompt", "the kite")
    studio.page.get_by_role("button", name="Generate").click()

    expect(studio.page.locator("#message")).to_contain_text("kite.gif: this image type is not")
    assert studio.page.locator("#results .result").count() == 0
