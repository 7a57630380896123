"""A hand-drawn mark for the catalog: a ticket stub with a check, not Atlassian's artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="Jira">'
    '<rect width="64" height="64" rx="12" fill="#ffffff"/>'
    '<path d="M10 18H54V27C50.7 27 48 29.7 48 33S50.7 39 54 39V48H10V39C13.3 39 16 36.3 16 '
    '33S13.3 27 10 27Z" fill="#1868db"/>'
    '<path d="M38 18V48" stroke="#ffffff" stroke-width="2" stroke-dasharray="3 3"/>'
    '<path d="M19 33L24.5 38.5L33 28" stroke="#ffffff" stroke-width="4" fill="none" '
    'stroke-linecap="round" stroke-linejoin="round"/>'
    "</svg>"
)
