"""A hand-drawn mark for the catalog: an issue card sliding through a workflow, not Linear's
trademark artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="Linear">'
    '<rect width="64" height="64" rx="12" fill="#1f2130"/>'
    '<circle cx="18" cy="32" r="6" fill="none" stroke="#8b93f8" stroke-width="3"/>'
    '<path d="M15.5 32L17.5 34L21 30" stroke="#8b93f8" stroke-width="2.5" fill="none" '
    'stroke-linecap="round" stroke-linejoin="round"/>'
    '<rect x="28" y="20" width="26" height="24" rx="5" fill="#5e6ad2"/>'
    '<path d="M33 28H49M33 34H45M33 40H41" stroke="#ffffff" stroke-width="2.5" '
    'stroke-linecap="round"/>'
    "</svg>"
)
