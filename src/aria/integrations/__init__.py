"""Built-in integrations, one package each; they import only `aria.sdk`."""
