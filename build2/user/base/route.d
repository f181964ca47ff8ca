build2/user/base/route.o: user/base/route.c user/base/route.h
user/base/route.h:
