(lI1
p0
aI1
a.