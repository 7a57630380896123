"""A hand-drawn mark for the catalog: a navy tile with a magnifier over log lines, not Sumo
Logic's artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="Sumo Logic">'
    '<rect width="64" height="64" rx="12" fill="#000099"/>'
    '<rect x="10" y="14" width="30" height="5" rx="2.5" fill="#ffffff" opacity="0.9"/>'
    '<rect x="10" y="24" width="22" height="5" rx="2.5" fill="#ffffff" opacity="0.7"/>'
    '<rect x="10" y="34" width="16" height="5" rx="2.5" fill="#ffffff" opacity="0.5"/>'
    '<circle cx="40" cy="38" r="10" fill="none" stroke="#37d6f0" stroke-width="5"/>'
    '<path d="M47 45L54 52" stroke="#37d6f0" stroke-width="6" stroke-linecap="round"/>'
    "</svg>"
)
