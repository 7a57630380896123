"""A hand-drawn mark for the catalog: a sentry tower over a signal wave, not Microsoft's artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="Microsoft Sentinel">'
    '<rect width="64" height="64" rx="14" fill="#0b3d91"/>'
    '<path d="M32 9 L49 17 V31 C49 42 41.5 50 32 55 C22.5 50 15 42 15 31 V17 Z" '
    'fill="#1f77d0" stroke="#9fd3ff" stroke-width="2"/>'
    '<path d="M21 33 H26 L29 25 L33 41 L37 29 L39.5 33 H43" fill="none" stroke="#ffffff" '
    'stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/>'
    '<circle cx="32" cy="18" r="3" fill="#9fd3ff"/>'
    "</svg>"
)
