from hermes_dsl.cli import main

main()
