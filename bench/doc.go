// Package bench holds meshops' benchmark programs and the scripts that
// compare meshops with the peer tools of ../shared/peers. Nothing here is
// part of the service; results are written up in BENCHMARKS.md.
package bench
