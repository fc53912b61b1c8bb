from flowise_conformance.cli import main

raise SystemExit(main())
