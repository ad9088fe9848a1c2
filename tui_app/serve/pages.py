"""The small HTML pages `basket-builder serve` answers with before (or
instead of) the app: the access key form, a wrong key, no free place.

Plain strings, every value escaped; no script, nothing fetched from
elsewhere (a demo may run on a closed network)."""

from __future__ import annotations

from html import escape

TITLE = "basket-builder — sandbox demo"

_STYLE = """
body { background: #0c181f; color: #eef; font: 16px/1.5 system-ui, sans-serif;
       display: flex; min-height: 100vh; margin: 0; align-items: center;
       justify-content: center; }
main { background: #12232d; padding: 2em 2.5em; max-width: 34em; border-radius: 6px; }
h1 { font-size: 1.3em; margin-top: 0; }
p.problem { color: #ff9b9b; font-weight: bold; }
input { font: inherit; padding: .3em .5em; width: 100%; box-sizing: border-box;
        margin: .3em 0 1em; }
button { font: inherit; padding: .4em 1.4em; background: #5e0ba7; color: #fff;
         border: 0; cursor: pointer; }
button:hover { background: #ac5af4; }
"""


def page(heading: str, *paragraphs: str, body_html: str = "") -> str:
    """A whole page: the heading and paragraphs are text (escaped here)."""
    text = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width\"><title>{escape(TITLE)}</title>"
        f"<style>{_STYLE}</style></head>\n<body><main>\n<h1>{escape(heading)}</h1>\n"
        f"{text}\n{body_html}\n</main></body></html>\n"
    )


def key_form(problem: str | None = None) -> str:
    """Asks for the access key; ``problem`` says what went wrong last time."""
    note = f'<p class="problem" id="problem">{escape(problem)}</p>' if problem else ""
    form = (
        f"{note}<form method=\"post\" action=\"/key\">"
        "<label for=\"key\">Access key</label>"
        "<input type=\"password\" id=\"key\" name=\"key\" autocomplete=\"off\" autofocus "
        "required maxlength=\"512\">"
        "<button type=\"submit\" id=\"open\">Open the demo</button></form>"
    )
    return page(
        "basket-builder — sandbox demo",
        "Limio partner checkout, in your browser, on a sandbox of your own: demo data, "
        "no real account.",
        "This demo asks for an access key. The person running it has it.",
        body_html=form,
    )


def wrong_key() -> str:
    return key_form("That access key is not right. Check it and try again.")


def full(max_visitors: int) -> str:
    places = "one visitor" if max_visitors == 1 else f"{max_visitors} visitors"
    return page(
        "basket-builder — every place is taken",
        f"Each visitor gets an app and a sandbox of their own, and this demo serves "
        f"{places} at once. Try again when someone closes their tab.",
        body_html="<form method=\"get\" action=\"/\"><button type=\"submit\">Try again"
        "</button></form>",
    )


def full_in_terminal(max_visitors: int) -> bytes:
    """Written into the page's terminal when the limit was reached between
    loading the page and connecting to it."""
    return (
        "\r\n  basket-builder: every place is taken "
        f"({max_visitors} visitors at once).\r\n"
        "  Try again when someone closes their tab.\r\n"
    ).encode()


def forbidden(reason: str) -> str:
    return page("basket-builder — not allowed", reason)
