"""The demo centre: organisation, six months of activity, statistics and training, and the
`seed-demo` command."""
