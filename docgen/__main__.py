from docgen.start import main

main()
