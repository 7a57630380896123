"""A hand-drawn mark for the catalog: a green ring around a ticket, not ServiceNow's artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="ServiceNow">'
    '<rect width="64" height="64" rx="12" fill="#1d2c33"/>'
    '<circle cx="32" cy="32" r="19" stroke="#62d84e" stroke-width="7" fill="none"/>'
    '<path d="M24 27H40V31A2 2 0 0 0 40 35V39H24V35A2 2 0 0 0 24 31Z" fill="#ffffff"/>'
    '<path d="M28 31H36M28 35H33" stroke="#1d2c33" stroke-width="1.6" stroke-linecap="round"/>'
    "</svg>"
)
