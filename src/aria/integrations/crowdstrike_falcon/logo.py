"""A hand-drawn mark for the catalog: a red swept-wing bird, not CrowdStrike's artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="CrowdStrike Falcon">'
    '<rect width="64" height="64" rx="12" fill="#ffffff"/>'
    '<path d="M6 40C18 22 34 14 58 12C46 18 40 24 37 30C44 29 50 31 54 35C44 34 36 37 30 44'
    'C26 49 20 53 12 54C17 49 19 45 19 41C14 43 10 43 6 40Z" fill="#d7262b"/>'
    '<path d="M37 30C33 31 29 33 26 36" stroke="#ffffff" stroke-width="1.6" fill="none" '
    'stroke-linecap="round"/>'
    '<circle cx="45" cy="18" r="1.8" fill="#ffffff"/>'
    "</svg>"
)
