"""Files: uploads, downloads, versions and the storage backends behind them."""
