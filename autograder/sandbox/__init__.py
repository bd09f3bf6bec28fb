"""Running student code in a separate, limited process and talking to it through proxies."""
