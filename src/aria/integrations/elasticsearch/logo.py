"""A hand-drawn mark for the catalog: stacked search bands in a rounded tile, not Elastic's
trademark artwork."""

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
    'role="img" aria-label="Elasticsearch">'
    '<rect width="64" height="64" rx="12" fill="#ffffff"/>'
    '<path d="M14 20C14 14 19 10 26 10H44C49 10 52 13 52 17V21H14Z" fill="#f0bf1a"/>'
    '<path d="M12 27H46C50 27 53 30 53 33C53 36 50 39 46 39H12Z" fill="#07a5de"/>'
    '<path d="M14 45H52V47C52 51 49 54 44 54H26C19 54 14 50 14 45Z" fill="#ee5097"/>'
    '<circle cx="44" cy="33" r="3" fill="#ffffff"/>'
    "</svg>"
)
