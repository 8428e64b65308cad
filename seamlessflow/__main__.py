from seamlessflow.cli.main import entry

entry()
