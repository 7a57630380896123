"""A hand-drawn mark for the catalog: a radar sweep over a dark console, not IBM's artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="IBM QRadar">'
    '<rect width="64" height="64" rx="12" fill="#161b2e"/>'
    '<circle cx="32" cy="32" r="22" fill="none" stroke="#3d7bf7" stroke-width="2.5"/>'
    '<circle cx="32" cy="32" r="14" fill="none" stroke="#3d7bf7" stroke-width="2" '
    'stroke-opacity="0.7"/>'
    '<circle cx="32" cy="32" r="6" fill="none" stroke="#3d7bf7" stroke-width="2" '
    'stroke-opacity="0.5"/>'
    '<path d="M32 32L32 10A22 22 0 0 1 51 21Z" fill="#6ea8ff" fill-opacity="0.55"/>'
    '<path d="M32 32L51 21" stroke="#b8d4ff" stroke-width="2.5" stroke-linecap="round"/>'
    '<circle cx="42" cy="19" r="3" fill="#ff6b5b"/>'
    '<circle cx="22" cy="40" r="2.2" fill="#ffd166"/>'
    "</svg>"
)
