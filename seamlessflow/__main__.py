from seamlessflow.cli.main import main

raise SystemExit(main())
