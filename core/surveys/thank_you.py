"""What the thank-you screen says, per language: what happens with the answers, and the receipt code."""

from __future__ import annotations

THANK_YOU: dict[str, dict[str, str]] = {
    "da": {
        "headline": "Tak for din tid!",
        "body": "Dine svar går direkte til butikkens team. De læser dem hver uge og bruger dem til at beslutte, "
        "hvad der skal forbedres først.",
        "receipt_note": "Din kvitteringskode er {code}. Oplys den, hvis du vil have en kopi af dine svar "
        "eller have dem slettet.",
    },
    "nb": {
        "headline": "Takk for at du tok deg tid!",
        "body": "Svarene dine går rett til butikkens team. De leser dem hver uke og bruker dem til å bestemme "
        "hva som skal forbedres først.",
        "receipt_note": "Kvitteringskoden din er {code}. Oppgi den hvis du vil ha en kopi av svarene dine "
        "eller vil at de skal slettes.",
    },
    "sv": {
        "headline": "Tack för din tid!",
        "body": "Dina svar går direkt till butikens personal. De läser dem varje vecka och använder dem för att "
        "bestämma vad som ska förbättras först.",
        "receipt_note": "Din kvittokod är {code}. Ange den om du vill ha en kopia av dina svar "
        "eller vill att de raderas.",
    },
    "en": {
        "headline": "Thank you for your time!",
        "body": "Your answers go straight to the store team. They read them every week to decide what to change first.",
        "receipt_note": "Your receipt code is {code}. Quote it if you want a copy of your answers "
        "or want them deleted.",
    },
}


def thank_you(language: str, receipt_code: str) -> dict[str, str]:
    """The thank-you texts in ``language`` (English when unknown): headline, body and receipt_note."""
    texts = THANK_YOU.get(language, THANK_YOU["en"])
    return {
        "headline": texts["headline"],
        "body": texts["body"],
        "receipt_note": texts["receipt_note"].format(code=receipt_code),
    }
