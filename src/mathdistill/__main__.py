from mathdistill.cli.main import main

main()
