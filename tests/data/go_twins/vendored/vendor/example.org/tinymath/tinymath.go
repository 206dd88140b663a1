// Package tinymath is a dependency written for parbench's tests, vendored
// so that the twin that uses it builds without fetching anything.
package tinymath

// Squares is 0², 1², …, (n-1)² as floats.
func Squares(n int) []float64 {
	table := make([]float64, n)
	for i := range table {
		table[i] = float64(i * i)
	}
	return table
}

// Sum adds values in order.
func Sum(values []float64) float64 {
	var total float64
	for _, v := range values {
		total += v
	}
	return total
}
