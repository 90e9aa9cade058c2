"""``{{ amount_fen|yuan }}`` → ``¥12.50``: whole fen shown as yuan with integer arithmetic (no float on the way)."""

from django import template

register = template.Library()


@register.filter
def yuan(fen: object) -> str:
    if not isinstance(fen, int):
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


@register.filter
def percent_bp(basis_points: object) -> str:
    if not isinstance(basis_points, int):
        return ""
    whole, rest = divmod(basis_points, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}%"
