from dps_assets.service.installer.cli import main

main()
