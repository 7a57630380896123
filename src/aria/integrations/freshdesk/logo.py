"""A hand-drawn mark for the catalog: a green speech bubble with a check, not Freshworks'
artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="Freshdesk">'
    '<rect width="64" height="64" rx="12" fill="#ffffff"/>'
    '<path d="M32 10C19 10 10 19 10 31V50C10 52 11 54 14 54H32C45 54 54 45 54 32C54 19 45 10 '
    '32 10Z" fill="#25c16f"/>'
    '<path d="M22 32L29 39L42 25" stroke="#ffffff" stroke-width="4.5" fill="none" '
    'stroke-linecap="round" stroke-linejoin="round"/>'
    "</svg>"
)
