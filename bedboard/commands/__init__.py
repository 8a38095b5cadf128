"""The handlers of the `bedboard` subcommands and their options; bedboard.cli lists them."""
