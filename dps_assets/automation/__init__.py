"""What runs the exchange by itself: jobs, the schedule, the sensors."""
