(l)p0
p0
aI1
a.