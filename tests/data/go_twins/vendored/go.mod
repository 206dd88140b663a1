module example.org/sumsq-twin

go 1.22

require example.org/tinymath v0.1.0
