"""Analytics: usage rollups and cost estimates."""
