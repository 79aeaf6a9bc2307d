"""Rules -> one alert record -> renderers -> senders; the scheduled governance check."""
