// facilitator screen
