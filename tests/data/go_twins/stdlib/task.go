// Package sumsq is a user's Go twin: the sum of i*i for i < n, split between
// the workers in contiguous shares.
package sumsq

// Setup has no state to make.
func Setup(params map[string]int, workers int) any { return nil }

// Task sums i*i over worker index's share of 0 .. n-1.
func Task(params map[string]int, index, workers int, state any) float64 {
	n := params["n"]
	var total float64
	for i := index * n / workers; i < (index+1)*n/workers; i++ {
		total += float64(i * i)
	}
	return total
}
