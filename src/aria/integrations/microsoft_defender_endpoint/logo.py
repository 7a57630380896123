"""A hand-drawn mark for the catalog: a blue shield with a check, not Microsoft's artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="Microsoft Defender for Endpoint">'
    '<rect width="64" height="64" rx="12" fill="#ffffff"/>'
    '<path d="M32 6L53 14V30C53 43 44 53 32 58C20 53 11 43 11 30V14Z" fill="#1f6fd1"/>'
    '<path d="M32 11L48 17V30C48 40 41 48 32 52Z" fill="#4a98ec"/>'
    '<path d="M22 32L29 39L43 24" stroke="#ffffff" stroke-width="4.5" fill="none" '
    'stroke-linecap="round" stroke-linejoin="round"/>'
    "</svg>"
)
