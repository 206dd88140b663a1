module parbench

go 1.24
