// Package twin is a user's Go twin with its own module and a vendored
// dependency: the squares are made by Setup, before the clock, and each
// worker sums its contiguous share of them, plus offset per term.
package twin

import "example.org/tinymath"

type table struct {
	squares []float64
	offset  float64
}

// Setup makes the table of squares every task reads.
func Setup(params map[string]int, workers int) any {
	return table{tinymath.Squares(params["n"]), float64(params["offset"])}
}

// Task sums worker index's share of the table, each term plus offset.
func Task(params map[string]int, index, workers int, state any) float64 {
	t := state.(table)
	n := len(t.squares)
	share := t.squares[index*n/workers : (index+1)*n/workers]
	return tinymath.Sum(share) + t.offset*float64(len(share))
}
