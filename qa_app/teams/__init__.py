"""Teams: the model, which agents and teams each user may see (scope.py), the team lists
(overview.py) and the administrators' team pages."""
