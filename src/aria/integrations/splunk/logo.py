"""A hand-drawn mark for the catalog: a chevron prompt over a search bar, not Splunk's artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="Splunk">'
    '<rect width="64" height="64" rx="12" fill="#111111"/>'
    '<path d="M20 18L40 30L20 42" stroke="#65a637" stroke-width="7" fill="none" '
    'stroke-linecap="round" stroke-linejoin="round"/>'
    '<rect x="14" y="48" width="36" height="5" rx="2.5" fill="#f58220"/>'
    "</svg>"
)
