"""A hand-drawn mark for the catalog: a support ticket stub and a reply bubble, not Zendesk's
trademark artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="Zendesk">'
    '<rect width="64" height="64" rx="12" fill="#03363d"/>'
    '<path d="M10 18H44V26A4 4 0 0 0 44 34V42H10V34A4 4 0 0 0 10 26Z" fill="#d1f470"/>'
    '<path d="M20 24H34M20 30H30M20 36H32" stroke="#03363d" stroke-width="3" '
    'stroke-linecap="round"/>'
    '<path d="M40 38H54A4 4 0 0 1 58 42V50A4 4 0 0 1 54 54H48L42 59V54H40A4 4 0 0 1 36 50V42'
    'A4 4 0 0 1 40 38Z" fill="#ffffff"/>'
    "</svg>"
)
